using MixBit.Bench;
using MixBit.Models.Architectures;
using MixBit.Tensors;

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
if (args.Contains("--profile")) { Gemm.Backend = args.Contains("--blas") ? GemmBackend.OpenBlas : GemmBackend.Managed; Profile.Run(ReferenceCnn.Build(), 64, 20); }
return 0;
