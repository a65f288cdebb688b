using System.Globalization;
using MixBit.Tensors;

namespace MixBit.Bench;

/// <summary>
/// GFLOP/s of the managed GEMM and of OpenBLAS (single-threaded cblas_sgemm, the backend MIXBIT_GEMM=openblas selects)
/// on row-major products of the shapes the suite's models run (usage: --gemm [--threads T] [--seconds S]). The two
/// alternate per shape, median of 3; the managed GEMM runs on T workers, OpenBLAS on one thread (as MixBit calls it). With one worker the
/// rates are per second of thread CPU time.
/// </summary>
public static class GemmBench
{
    private static readonly (string What, int M, int N, int K, bool TransA, bool TransB)[] Shapes =
    [
        ("square 1024", 1024, 1024, 1024, false, false),
        ("pointwise 128->128, 4x4 maps, batch 32", 128, 512, 128, false, false),
        ("pointwise 256->256, 2x2 maps, batch 64", 256, 256, 256, false, false),
        ("pointwise 8->16, 28x28, batch 64", 16, 50176, 8, false, false),
        ("resnet 3x3 64->64, 16x16, batch 32 (im2col)", 64, 8192, 576, false, false),
        ("resnet 3x3 512->512, 2x2, batch 32 (im2col)", 512, 128, 4608, false, false),
        ("the same, 14 images (a 1 MB im2col block)", 512, 56, 4608, false, false),
        ("resnet 3x3 256->256, 4x4, 7 images (1 MB)", 256, 112, 2304, false, false),
        ("dW of resnet 3x3 64->64 (dY * cols^T)", 64, 576, 8192, false, true),
        ("dX of resnet 3x3 64->64 (W^T * dY)", 576, 8192, 64, true, false),
        ("per-image pointwise 256->256 at 2x2", 256, 4, 256, false, false),
        ("MobileNetV2 expand 160->960, 2x2, batch 1", 960, 4, 160, false, false),
        ("MobileNetV2 head 320->1280, 2x2, batch 1", 1280, 4, 320, false, false),
    ];

    /// <summary>
    /// Calls per second of thread CPU time with one worker (robust to other processes on a shared machine: time spent
    /// descheduled does not count), wall time with several.
    /// </summary>
    private static double CpuRate(Action step, double seconds)
    {
        if (Workers.Count > 1) return EngineThroughput.Rate(step, seconds, 3);
        step(); step();
        int steps = 0;
        double t0 = ThreadCpuSeconds(), t;
        while ((t = ThreadCpuSeconds() - t0) < seconds || steps < 3) { step(); steps++; }
        return steps / t;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern unsafe int ClockGetTime(int clock, long* time);

    public static unsafe double ThreadCpuSeconds()
    {
        long* t = stackalloc long[2]; // struct timespec { seconds, nanoseconds }
        ClockGetTime(3, t); // CLOCK_THREAD_CPUTIME_ID
        return t[0] + t[1] * 1e-9;
    }

    public static int Run(string[] args)
    {
        double seconds = double.Parse(args.SkipWhile(a => a != "--seconds").Skip(1).FirstOrDefault() ?? "0.5", CultureInfo.InvariantCulture);
        Console.WriteLine($"{Workers.Count} worker(s); load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"shape",-46} {"M",6} {"N",6} {"K",6}  managed GFLOP/s  OpenBLAS GFLOP/s  ratio");
        foreach (var s in Shapes)
        {
            var rng = new Random(1);
            var a = Enumerable.Range(0, s.M * s.K).Select(_ => (float)rng.NextDouble()).ToArray();
            var b = Enumerable.Range(0, s.K * s.N).Select(_ => (float)rng.NextDouble()).ToArray();
            var c = new float[s.M * s.N];
            double flop = 2.0 * s.M * s.N * s.K;
            var managed = new List<double>(); var blas = new List<double>();
            for (int r = 0; r < 3; r++)
                foreach (var backend in new[] { GemmBackend.Managed, GemmBackend.OpenBlas })
                {
                    if (backend == GemmBackend.OpenBlas && !Gemm.OpenBlasAvailable) continue;
                    Gemm.Backend = backend;
                    double rate = CpuRate(() => Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, s.TransA ? s.M : s.K,
                        b, s.TransB ? s.K : s.N, 0f, c, s.N), seconds);
                    (backend == GemmBackend.Managed ? managed : blas).Add(flop * rate / 1e9);
                }
            Gemm.Backend = GemmBackend.Managed;
            double mg = managed.Order().ElementAt(1), bl = blas.Count > 0 ? blas.Order().ElementAt(1) : double.NaN;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.What,-46} {s.M,6} {s.N,6} {s.K,6}  {mg,15:F1}  {bl,16:F1}  {mg / bl,5:F2}"));
        }
        return 0;
    }
}
