using MixBit.Bench;
using MixBit.Models.Architectures;
using MixBit.Tensors;

// Benchmarks, run on demand (never in tests):
//   --suite [--rounds N] [--threads 1,2] [--models a,b] [--seconds S] [--no-write]
//                         MixBit vs PyTorch vs ONNX Runtime on the model suite -> docs/BENCHMARKS.md
//   --quick               the suite once, 2 threads, short timings, nothing written
//   --profile [--model M.onnx | --arch A --width W --resolution R --channels C] [--batch B] [--threads T]
//                         per-layer times of a training step and of inference
//   --gemm [--threads T]  managed GEMM vs OpenBLAS on the suite's product shapes
//   --quantize            calibrate-and-evaluate vs float evaluation (QuantizeBench)
//   --cpu [--models a,b] [--seconds S]
//                         MixBit vs ONNX Runtime inference in process CPU time, one thread (CpuRatio)
//   --integer [--models A.mbq B.mbq] [--rounds N] [--profile]   integer engine vs ONNX Runtime on the QDQ export
//   --qdq-agreement --model M.onnx [--policy P.json | --w-bits B --a-bits B]   ONNX Runtime on the QDQ export vs fake quantization
//   --test-vectors DIR    golden integer-op vectors (C headers) for the C runtime's tests
string root = FindRepoRoot();
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
Workers.Count = int.Parse((Arg("--threads") ?? "2").Split(',')[^1]); // the suite sets it per measurement
if (args.Contains("--suite") || args.Contains("--quick")) return Suite.Run(root, args);
if (args.Contains("--gemm")) return GemmBench.Run(args);
if (args.Contains("--cpu")) return CpuRatio.Run(root, args);
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
    var model = Arg("--model") is { } path ? MixBit.Models.ModelFile.Load(path) : MixBit.Nn.Model.Initialize(Arg("--arch") is { } arch
        ? ArchitectureRegistry.Build(arch, new ArchitectureOptions(double.Parse(Arg("--width") ?? "0.25", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Arg("--resolution") ?? "28"), int.Parse(Arg("--channels") ?? "1"), int.Parse(Arg("--classes") ?? "10")))
        : ReferenceCnn.Build(), 1);
    Profile.Run(model, int.Parse(Arg("--batch") ?? "64"), int.Parse(Arg("--steps") ?? "20"));
    return 0;
}
Console.Error.WriteLine("usage: MixBit.Bench --suite [options] | --quick | --profile [options] | --gemm | --quantize [options] | --cpu [options] | --integer [options] | --qdq-agreement [options] | --test-vectors DIR");
return 1;

static string FindRepoRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "MixBit.slnx"))) return d.FullName;
    throw new InvalidOperationException("run from inside the MixBit repository");
}
