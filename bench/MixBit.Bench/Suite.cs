using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MixBit.Models;
using MixBit.Models.Architectures;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Tensors;

namespace MixBit.Bench;

/// <summary>
/// The engine suite of issue 13: MixBit vs PyTorch vs ONNX Runtime on the same models in one run, alternating the
/// frameworks within each round (the machine is shared, so only same-run ratios mean anything) and reporting medians
/// over rounds. Training at batch 32 (batch 1 training is degenerate with BatchNorm), inference at batch 32 and 1, at
/// each thread count. Achieved GFLOP/s count 2 FLOPs per multiply-accumulate of the forward pass and 3x the forward
/// for a training step (forward, input gradient, weight gradient), against the peak that an OpenBLAS sgemm of
/// 1024^3 reaches on the same machine at the same thread count.
/// </summary>
public static class Suite
{
    private const int TrainBatch = 32;
    private static readonly int[] InferBatches = [32, 1];

    /// <summary>A suite model: its name in suite_torch.py, a title, and whether MixBit runs its built-in graph (else the PyTorch export).</summary>
    private sealed record Entry(string Name, string Title, Func<ModelGraph>? BuiltIn, bool Train = true);

    private static readonly Entry[] Models =
    [
        new("reference", "reference CNN 28x28x1", () => ReferenceCnn.Build()),
        new("mobilenet_v1_0.25_28", "MobileNetV1 0.25 28x28x1 (default)", () => MobileNetV1.Build(new ArchitectureOptions(0.25, 28, 1, 10))),
        new("mobilenet_v1_0.25_96", "MobileNetV1 0.25 96x96x3", () => MobileNetV1.Build(new ArchitectureOptions(0.25, 96, 3, 2))),
        new("mobilenet_v2_1.0_64", "MobileNetV2 1.0 64x64x3 (torchvision)", null),
        new("resnet18_64", "ResNet-18 64x64x3 (torchvision)", null),
        new("mobilenet_v1_1.0_224", "MobileNetV1 1.0 224x224x3", () => MobileNetV1.Build(new ArchitectureOptions(1.0, 224, 3, 1000)), Train: false),
    ];

    private sealed record Options(int Rounds, int[] Threads, double MinSeconds, int MinSteps, string[] Models, bool Write, bool Quick);

    public static int Run(string repoRoot, string[] args)
    {
        bool quick = args.Contains("--quick");
        var o = new Options(
            int.Parse(Arg(args, "--rounds") ?? (quick ? "1" : "3")),
            (Arg(args, "--threads") ?? (quick ? "2" : "1,2")).Split(',').Select(int.Parse).ToArray(),
            double.Parse(Arg(args, "--seconds") ?? (quick ? "0.5" : "2"), CultureInfo.InvariantCulture),
            quick ? 2 : 3,
            (Arg(args, "--models") ?? string.Join(',', Models.Select(m => m.Name))).Split(','),
            !args.Contains("--no-write") && !quick, quick);
        var entries = o.Models.Select(n => Models.FirstOrDefault(m => m.Name == n)
            ?? throw new ArgumentException($"unknown model {n}; one of {string.Join(", ", Models.Select(m => m.Name))}")).ToArray();

        string tmp = Directory.CreateTempSubdirectory("mixbit-suite-").FullName;
        string load0 = File.ReadAllText("/proc/loadavg").Trim();
        var peaks = o.Threads.ToDictionary(t => t, t => new List<double> { PeakGflops(t) });
        var results = new Dictionary<(string Model, int Threads, string Pass, string Framework), List<double>>();
        void Add(string m, int t, string pass, string fw, double v)
        {
            if (!results.TryGetValue((m, t, pass, fw), out var l)) results[(m, t, pass, fw)] = l = [];
            l.Add(v);
        }
        var models = new Dictionary<string, Model>();
        string torchVersion = "?";
        try
        {
            foreach (var e in entries)
            {
                string onnx = Path.Combine(tmp, e.Name + ".onnx");
                Python(repoRoot, ["export", e.Name, onnx]);
                models[e.Name] = e.BuiltIn is { } build ? Model.Initialize(build(), 1) : ModelFile.Load(onnx);
            }
            // An untimed pass of each model first: the first timed figure of a process otherwise includes .NET's
            // compilation of the kernels (a one-round run once measured the reference CNN's training at a quarter of its rate).
            foreach (var e in entries)
            {
                Workers.Count = o.Threads[0];
                if (e.Train) EngineThroughput.TrainImagesPerSecond(models[e.Name], TrainBatch, 0.3, 2);
                foreach (int b in InferBatches) EngineThroughput.InferImagesPerSecond(models[e.Name], b, 0.3, 2);
            }
            for (int r = 0; r < o.Rounds; r++)
                foreach (var e in entries)
                    foreach (int t in o.Threads)
                    {
                        Console.Error.WriteLine($"round {r + 1}/{o.Rounds}: {e.Name}, {t} thread(s)");
                        // Rotate which framework goes first so that a load burst does not always hit the same one.
                        for (int f = 0; f < 3; f++)
                            switch ((f + r) % 3)
                            {
                                case 0:
                                    Workers.Count = t;
                                    if (e.Train) Add(e.Name, t, "train", "mixbit", EngineThroughput.TrainImagesPerSecond(models[e.Name], TrainBatch, o.MinSeconds, o.MinSteps));
                                    foreach (int b in InferBatches)
                                        Add(e.Name, t, $"infer{b}", "mixbit", EngineThroughput.InferImagesPerSecond(models[e.Name], b, o.MinSeconds, o.MinSteps));
                                    break;
                                case 1:
                                    var torch = Python(repoRoot, ["time", e.Name, "--threads", $"{t}", "--train-batch", e.Train ? $"{TrainBatch}" : "0",
                                        "--batches", string.Join(',', InferBatches), "--min-seconds", o.MinSeconds.ToString(CultureInfo.InvariantCulture),
                                        "--min-steps", $"{o.MinSteps}"]);
                                    torchVersion = torch.GetProperty("torch").GetString() ?? "?";
                                    long mixParams = models[e.Name].Graph.TrainableParameterCount, torchParams = torch.GetProperty("parameters").GetInt64();
                                    if (mixParams != torchParams)
                                        throw new InvalidOperationException($"{e.Name}: MixBit has {mixParams} parameters, PyTorch {torchParams}: the definitions differ");
                                    if (e.Train) Add(e.Name, t, "train", "torch", torch.GetProperty("train").GetDouble());
                                    foreach (int b in InferBatches) Add(e.Name, t, $"infer{b}", "torch", torch.GetProperty($"infer{b}").GetDouble());
                                    break;
                                default:
                                    foreach (int b in InferBatches)
                                        Add(e.Name, t, $"infer{b}", "ort", OrtImagesPerSecond(Path.Combine(tmp, e.Name + ".onnx"), models[e.Name].Graph, b, t, o));
                                    break;
                            }
                    }
            foreach (int t in o.Threads) peaks[t].Add(PeakGflops(t));
        }
        finally { Directory.Delete(tmp, true); }

        string load1 = File.ReadAllText("/proc/loadavg").Trim();
        var inv = CultureInfo.InvariantCulture;
        double? Med(string m, int t, string pass, string fw) => results.TryGetValue((m, t, pass, fw), out var l) ? Median(l) : null;
        string F(double? v) => v is { } x ? x.ToString(x >= 100 ? "N0" : "F1", inv) : "";
        string R(double? a, double? b) => a is { } x && b is { } y ? (x / y).ToString("F2", inv) + "x" : "";

        var sb = new StringBuilder();
        sb.AppendLine("## Engine: model suite (MixBit vs PyTorch vs ONNX Runtime)").AppendLine();
        sb.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Machine()}; `dotnet run -c Release --project bench/MixBit.Bench -- --suite {string.Join(' ', args.Where(a => a != "--suite"))}`.".Replace("  ", " ").Replace(" `.", "`."));
        sb.AppendLine($"Load average (1/5/15 min, runnable/total) before: {load0}; after: {load1}. Median of {o.Rounds} round(s), frameworks alternating within each round; at least {o.MinSeconds.ToString(inv)} s and {o.MinSteps} calls per figure.");
        sb.AppendLine($"PyTorch {torchVersion} (Debian python3-torch; SGD momentum 0.9, cross-entropy), ONNX Runtime 1.31.1 (default session options, intra-op threads = threads) on the PyTorch export; MixBit with its default settings. Training batch {TrainBatch}; inference batches {string.Join(" and ", InferBatches)}.");
        sb.AppendLine("Peak: OpenBLAS sgemm 1024^3 at the same thread count, " + string.Join(", ", o.Threads.Select(t => $"{t} thread(s) {Median(peaks[t]).ToString("F0", inv)} GFLOP/s")) + ". GFLOP/s: 2 per forward multiply-accumulate, training 3x forward.");
        sb.AppendLine();
        sb.AppendLine("| model | threads | pass | MixBit img/s | PyTorch img/s | ONNX Runtime img/s | MixBit / PyTorch | MixBit / ONNX Runtime | MixBit GFLOP/s (% of peak) |");
        sb.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var e in entries)
            foreach (int t in o.Threads)
                foreach (var pass in (e.Train ? ["train"] : Array.Empty<string>()).Concat(InferBatches.Select(b => $"infer{b}")))
                {
                    double? mix = Med(e.Name, t, pass, "mixbit"), torch = Med(e.Name, t, pass, "torch"), ort = Med(e.Name, t, pass, "ort");
                    double gflop = 2e-9 * models[e.Name].Graph.TotalMacs * (pass == "train" ? 3 : 1) * (mix ?? 0);
                    string passName = pass == "train" ? $"training b{TrainBatch}" : $"inference b{pass[5..]}";
                    sb.AppendLine(string.Create(inv, $"| {e.Title} | {t} | {passName} | {F(mix)} | {F(torch)} | {F(ort)} | {R(mix, torch)} | {R(mix, ort)} | {gflop:F1} ({100 * gflop / Median(peaks[t]):F0}%) |"));
                }
        string section = sb.ToString();
        Console.WriteLine(section);
        if (o.Write) BenchmarksFile.WriteSection(Path.Combine(repoRoot, "docs", "BENCHMARKS.md"), section);
        return 0;
    }

    private static string? Arg(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    /// <summary>Runs bench/suite_torch.py with <paramref name="args"/> and returns the JSON of its last output line.</summary>
    public static JsonElement Python(string repoRoot, string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(repoRoot, "bench", "suite_torch.py"), .. args])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"suite_torch.py {string.Join(' ', args)} failed (needs python3-torch python3-onnx python3-torchvision): {stderr.Result}");
        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    private static double OrtImagesPerSecond(string onnxPath, ModelGraph graph, int batch, int threads, Options o)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        var s = graph.InputShape;
        var tensor = new DenseTensor<float>(EngineThroughput.RandomInput(graph, batch).Span.ToArray(), [batch, s.Channels, s.Height, s.Width]);
        var inputs = new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), tensor) };
        return batch * EngineThroughput.Rate(() => { using (session.Run(inputs)) { } }, o.MinSeconds, o.MinSteps);
    }

    /// <summary>GFLOP/s of an OpenBLAS sgemm 1024^3 on <paramref name="threads"/> threads (best of 5, after a warm-up).</summary>
    private static unsafe double PeakGflops(int threads)
    {
        const int n = 1024;
        var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = (i % 7) * 0.1f; b[i] = (i % 5) * 0.1f; }
        NativeBlas.SetThreads(threads);
        try
        {
            double best = 0;
            fixed (float* pa = a, pb = b, pc = c)
                for (int rep = 0; rep < 6; rep++)
                {
                    var sw = Stopwatch.StartNew();
                    NativeBlas.Sgemm(101, 111, 111, n, n, n, 1f, pa, n, pb, n, 0f, pc, n);
                    if (rep > 0) best = Math.Max(best, 2.0 * n * n * n / sw.Elapsed.TotalSeconds / 1e9);
                }
            return best;
        }
        finally { NativeBlas.SetThreads(1); } // MixBit's own calls into OpenBLAS are single-threaded
    }

    public static string Machine()
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return $"{Environment.ProcessorCount} cores ({cpu}), {Environment.OSVersion}, .NET {Environment.Version}";
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    private static unsafe class NativeBlas
    {
        [System.Runtime.InteropServices.DllImport("libopenblas.so.0", EntryPoint = "cblas_sgemm")]
        public static extern void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

        [System.Runtime.InteropServices.DllImport("libopenblas.so.0", EntryPoint = "openblas_set_num_threads")]
        public static extern void SetThreads(int n);
    }
}
