using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MixBit.Models;
using MixBit.Nn;
using MixBit.Tensors;

namespace MixBit.Bench;

/// <summary>
/// MixBit vs ONNX Runtime inference on one thread in process CPU time (usage: --cpu [--models a,b] [--seconds S]):
/// on a shared machine wall time also counts the time a process waits for a core, CPU time only the work, so this
/// ratio says how efficient the kernels are whatever the load. Both run the same PyTorch export in this process,
/// alternating, median of 3; ONNX Runtime with one intra-op thread, MixBit with one worker.
/// </summary>
public static class CpuRatio
{
    private static readonly (string Name, int Batch)[] Cases =
    [
        ("mobilenet_v1_0.25_28", 64), ("mobilenet_v1_0.25_28", 1), ("mobilenet_v1_0.25_96", 32), ("mobilenet_v1_0.25_96", 1),
        ("mobilenet_v2_1.0_64", 32), ("mobilenet_v2_1.0_64", 1), ("resnet18_64", 32), ("resnet18_64", 1),
        ("mobilenet_v1_1.0_224", 8), ("mobilenet_v1_1.0_224", 1),
    ];

    public static int Run(string repoRoot, string[] args)
    {
        double seconds = double.Parse(args.SkipWhile(a => a != "--seconds").Skip(1).FirstOrDefault() ?? "2", CultureInfo.InvariantCulture);
        var only = args.SkipWhile(a => a != "--models").Skip(1).FirstOrDefault()?.Split(',');
        string tmp = Directory.CreateTempSubdirectory("mixbit-cpu-").FullName;
        Workers.Count = 1;
        Console.WriteLine($"{Suite.Machine()}; load {File.ReadAllText("/proc/loadavg").Trim()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine("| model | batch | ONNX Runtime CPU ms | MixBit CPU ms | MixBit / ONNX Runtime (throughput) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        try
        {
            foreach (var (name, batch) in Cases.Where(c => only is null || only.Contains(c.Name)))
            {
                string onnx = Path.Combine(tmp, name + ".onnx");
                if (!File.Exists(onnx)) Suite.Python(repoRoot, ["export", name, onnx]);
                var model = ModelFile.Load(onnx);
                var s = model.Graph.InputShape;
                var x = EngineThroughput.RandomInput(model.Graph, batch);
                using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
                using var session = new InferenceSession(onnx, options);
                var inputs = new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(),
                    new DenseTensor<float>(x.Span.ToArray(), [batch, s.Channels, s.Height, s.Width])) };
                var net = new Network(model) { ParametersFrozen = true }; // an inference session, as ONNX Runtime's
                var ort = new List<double>(); var mix = new List<double>();
                for (int r = 0; r < 3; r++)
                {
                    ort.Add(CpuMilliseconds(() => { using (session.Run(inputs)) { } }, seconds));
                    mix.Add(CpuMilliseconds(() => net.Forward(x), seconds));
                }
                double o = ort.Order().ElementAt(1), m = mix.Order().ElementAt(1);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {batch} | {o:F2} | {m:F2} | {o / m:F2}x |"));
            }
        }
        finally { Directory.Delete(tmp, true); }
        return 0;
    }

    /// <summary>Process CPU milliseconds per call, after a warm-up of half the measuring time.</summary>
    private static double CpuMilliseconds(Action step, double seconds)
    {
        var p = System.Diagnostics.Process.GetCurrentProcess();
        double Cpu() { p.Refresh(); return p.TotalProcessorTime.TotalSeconds; }
        double t0 = Cpu();
        while (Cpu() - t0 < seconds / 2) step();
        int calls = 0;
        t0 = Cpu();
        double t;
        while ((t = Cpu() - t0) < seconds || calls < 3) { step(); calls++; }
        return t * 1000 / calls;
    }
}
