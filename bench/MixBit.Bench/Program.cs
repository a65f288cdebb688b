using MixBit.Bench;
using MixBit.Models.Architectures;
using MixBit.Tensors;

// Benchmarks, run on demand (never in tests):
//   --reference [--rounds N] [--no-write]   MixBit vs PyTorch vs ONNX Runtime on the reference CNN -> docs/BENCHMARKS.md
//   --quick                                 MixBit alone, both GEMM backends
//   --profile [--blas]                      per-layer times of a training step
//   --integer [--models A.mbq B.mbq] [--rounds N] [--profile]   integer engine vs ONNX Runtime on the QDQ export
//   --qdq-agreement --model M.onnx [--policy P.json | --w-bits B --a-bits B]   ONNX Runtime on the QDQ export vs fake quantization
//   --test-vectors DIR                      golden integer-op vectors (C headers) for the C runtime's tests
string root = FindRepoRoot();
int Rounds() => args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).DefaultIfEmpty(3).First();
Workers.Count = 2;
if (args.Contains("--reference")) return ReferenceComparison.Run(root, Rounds(), !args.Contains("--no-write"));
if (args.Contains("--quick"))
{
    foreach (var backend in new[] { GemmBackend.OpenBlas, GemmBackend.Managed })
    {
        Gemm.Backend = backend;
        var g = ReferenceCnn.Build();
        Console.WriteLine($"{backend}: train {EngineThroughput.TrainImagesPerSecond(g, 64, 5, 30):F0} img/s, infer {EngineThroughput.InferImagesPerSecond(g, 64, 5, 60):F0} img/s");
    }
    return 0;
}
if (args.Contains("--quantize")) return QuantizeBench.Run(args, root);
if (args.Contains("--integer")) return IntegerBench.Run(args, root);
if (args.Contains("--qdq-agreement")) return IntegerBench.Agreement(args);
if (args.SkipWhile(a => a != "--test-vectors").Skip(1).FirstOrDefault() is { } vectors)
{
    Console.WriteLine($"wrote {MixBit.Integer.IntegerTestVectors.Write(vectors).Count} files to {vectors}");
    return 0;
}
if (args.Contains("--profile"))
{
    Gemm.Backend = args.Contains("--blas") ? GemmBackend.OpenBlas : GemmBackend.Managed;
    Profile.Run(ReferenceCnn.Build(), 64, 20);
    return 0;
}
Console.Error.WriteLine("usage: MixBit.Bench --reference [--rounds N] [--no-write] | --quick | --profile [--blas] | --integer [--models A.mbq ...] [--rounds N] [--profile] | --test-vectors DIR");
return 1;

static string FindRepoRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "MixBit.slnx"))) return d.FullName;
    throw new InvalidOperationException("run from inside the MixBit repository");
}
