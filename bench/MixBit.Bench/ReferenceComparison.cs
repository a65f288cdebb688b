using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MixBit.Models.Architectures;
using MixBit.Tensors;

namespace MixBit.Bench;

/// <summary>
/// MixBit vs PyTorch (and ONNX Runtime for inference) on the reference CNN of TOOLCHAIN.md, batch 64, 2 threads,
/// measured in the same run, alternating frameworks over several rounds and reporting medians and ratios.
/// </summary>
public static class ReferenceComparison
{
    private const int Batch = 64;

    public static int Run(string repoRoot, int rounds, bool write)
    {
        var graph = ReferenceCnn.Build();
        string onnxPath = Path.Combine(Path.GetTempPath(), $"mixbit-bench-{Environment.ProcessId}.onnx");
        var mixTrain = new List<double>(); var mixInfer = new List<double>();
        var blasTrain = new List<double>(); var blasInfer = new List<double>();
        var torchTrain = new List<double>(); var torchInfer = new List<double>(); var ortInfer = new List<double>();
        string torchVersion = "?";
        for (int r = 0; r < rounds; r++)
        {
            Console.Error.WriteLine($"round {r + 1}/{rounds}");
            Gemm.Backend = GemmBackend.Managed;
            mixTrain.Add(EngineThroughput.TrainImagesPerSecond(graph, Batch, 5, 40));
            mixInfer.Add(EngineThroughput.InferImagesPerSecond(graph, Batch, 10, 200));
            if (Gemm.OpenBlasAvailable)
            {
                Gemm.Backend = GemmBackend.OpenBlas;
                blasTrain.Add(EngineThroughput.TrainImagesPerSecond(graph, Batch, 5, 40));
                blasInfer.Add(EngineThroughput.InferImagesPerSecond(graph, Batch, 10, 200));
                Gemm.Backend = GemmBackend.Managed;
            }
            var torch = RunTorch(repoRoot, onnxPath);
            torchVersion = torch.GetProperty("torch").GetString() ?? "?";
            torchTrain.Add(torch.GetProperty("train_images_per_s").GetDouble());
            torchInfer.Add(torch.GetProperty("infer_images_per_s").GetDouble());
            ortInfer.Add(OrtImagesPerSecond(onnxPath, 10, 200));
        }
        File.Delete(onnxPath);

        double mt = Median(mixTrain), mi = Median(mixInfer), tt = Median(torchTrain), ti = Median(torchInfer), oi = Median(ortInfer);
        var inv = CultureInfo.InvariantCulture;
        string section = string.Join('\n',
            "## Engine: reference CNN (training and inference throughput)",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Machine()}; `dotnet run -c Release --project bench/MixBit.Bench -- --reference`.",
            $"Reference CNN of TOOLCHAIN.md (18,826 parameters), batch {Batch}, 2 threads, random data; median of {rounds} alternating rounds.",
            $"MixBit with its default managed SIMD GEMM; the OpenBLAS backend (MIXBIT_GEMM=openblas) on its own line. PyTorch {torchVersion} (Debian python3-torch), SGD momentum 0.9; ONNX Runtime 1.31.1 on the PyTorch export, 2 intra-op threads.",
            "",
            "| | MixBit img/s | PyTorch img/s | ONNX Runtime img/s | MixBit / PyTorch | MixBit / ONNX Runtime |",
            "|---|---:|---:|---:|---:|---:|",
            string.Create(inv, $"| training step | {mt:F0} | {tt:F0} | | {mt / tt:F2}x | |"),
            string.Create(inv, $"| inference forward | {mi:F0} | {ti:F0} | {oi:F0} | {mi / ti:F2}x | {mi / oi:F2}x |"),
            blasTrain.Count > 0 ? string.Create(inv, $"| MixBit with OpenBLAS: training / inference | {Median(blasTrain):F0} / {Median(blasInfer):F0} | | | {Median(blasTrain) / tt:F2}x / {Median(blasInfer) / ti:F2}x | |") : "",
            "",
            string.Create(inv, $"training: {mt / tt:F2}x PyTorch"),
            string.Create(inv, $"inference: {mi / ti:F2}x PyTorch, {mi / oi:F2}x ONNX Runtime"),
            "");
        Console.WriteLine(section);
        if (write) BenchmarksFile.WriteSection(Path.Combine(repoRoot, "docs", "BENCHMARKS.md"), section);
        return 0;
    }

    private static JsonElement RunTorch(string repoRoot, string onnxPath)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(repoRoot, "bench", "reference_torch.py"), "--threads", "2", "--onnx", onnxPath])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"PyTorch benchmark failed (install python3-torch python3-onnx): {stderr}");
        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    private static double OrtImagesPerSecond(string onnxPath, int warmup, int steps)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        using var session = new InferenceSession(onnxPath, options);
        var input = EngineThroughput.RandomInput(ReferenceCnn.Build(), Batch);
        var tensor = new DenseTensor<float>(input.Span.ToArray(), [Batch, 1, 28, 28]);
        var inputs = new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), tensor) };
        for (int i = 0; i < warmup; i++) using (session.Run(inputs)) { }
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) using (session.Run(inputs)) { }
        return Batch * steps / sw.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static string Machine()
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return $"{Environment.ProcessorCount} cores ({cpu}), {Environment.OSVersion}, .NET {Environment.Version}";
    }
}
