using System.Runtime.InteropServices;

namespace MixBit.Tensors;

/// <summary>P/Invoke binding to OpenBLAS's cblas_sgemm (Debian package libopenblas0-pthread).</summary>
internal static unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> SgemmPtr;

    static OpenBlas()
    {
        if (!NativeLibrary.TryLoad("libopenblas.so.0", out var lib)) return;
        if (!NativeLibrary.TryGetExport(lib, "cblas_sgemm", out var sgemm)) return;
        if (NativeLibrary.TryGetExport(lib, "openblas_set_num_threads", out var setThreads))
            ((delegate* unmanaged<int, void>)setThreads)(1);
        SgemmPtr = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
    }

    public static bool IsAvailable => SgemmPtr != null;

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
            SgemmPtr(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }
}
