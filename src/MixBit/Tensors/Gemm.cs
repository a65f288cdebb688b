namespace MixBit.Tensors;

/// <summary>Which matrix-multiply implementation <see cref="Gemm"/> uses.</summary>
public enum GemmBackend { Managed, OpenBlas }

/// <summary>
/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, with op(X) = X or X^T,
/// op(A) M x K, op(B) K x N. Two backends give the same results up to float rounding: the managed SIMD kernel
/// (default: needs no native library; on the small per-image products of these networks it ranged from 3x faster
/// than OpenBLAS on a loaded machine to about 20% slower on an idle one, see docs/BENCHMARKS.md) and OpenBLAS (libopenblas.so.0, single-threaded: MixBit parallelises over images itself),
/// chosen with MIXBIT_GEMM=openblas or <see cref="Backend"/>.
/// </summary>
public static class Gemm
{
    private static GemmBackend _backend = Environment.GetEnvironmentVariable("MIXBIT_GEMM")?.ToLowerInvariant() switch
    {
        "openblas" when OpenBlas.IsAvailable => GemmBackend.OpenBlas,
        _ => GemmBackend.Managed,
    };

    /// <summary>Whether libopenblas.so.0 loaded (Debian package libopenblas0-pthread).</summary>
    public static bool OpenBlasAvailable => OpenBlas.IsAvailable;

    public static GemmBackend Backend
    {
        get => _backend;
        set
        {
            if (value == GemmBackend.OpenBlas && !OpenBlas.IsAvailable)
                throw new MixBitException("OpenBLAS (libopenblas.so.0) is not installed: install it with `apt-get install libopenblas0-pthread`, or use the managed backend.");
            _backend = value;
        }
    }

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        CheckSizes(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (_backend == GemmBackend.OpenBlas)
            OpenBlas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else
            ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static void CheckSizes(bool transA, bool transB, int m, int n, int k, int aLen, int lda, int bLen, int ldb, int cLen, int ldc)
    {
        // Row-major: A is (transA ? K x M : M x K) with row stride lda, and so on.
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < aCols || ldb < bCols || ldc < n
            || (aRows > 0 && (long)(aRows - 1) * lda + aCols > aLen)
            || (bRows > 0 && (long)(bRows - 1) * ldb + bCols > bLen)
            || (long)(m - 1) * ldc + n > cLen)
            throw new ArgumentException("GEMM operand too small for the given sizes and strides.");
    }
}
