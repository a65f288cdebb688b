namespace MixBit.Tensors;

/// <summary>Which matrix-multiply implementation <see cref="Gemm"/> uses.</summary>
public enum GemmBackend { Managed, OpenBlas }

/// <summary>
/// Single-precision GEMM: C = alpha * A * B + beta * C, then an optional epilogue (bias and clamp per row of C), on
/// <see cref="MatrixView"/>s (row-major, transposed, or spanning the images of an NCHW batch). The managed blocked kernel
/// (<see cref="ManagedGemm"/>) is the default and runs in parallel on <see cref="Workers"/>; OpenBLAS (libopenblas.so.0,
/// single-threaded) can be chosen with MIXBIT_GEMM=openblas or <see cref="Backend"/> for plain row-major/transposed
/// operands without an epilogue, everything else stays managed.
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

    /// <summary>Row-major C = alpha * op(A) * op(B) + beta * C with op(X) = X or X^T, op(A) M x K, op(B) K x N.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var va = MatrixView.RowMajor(a, lda);
        var vb = MatrixView.RowMajor(b, ldb);
        Multiply(m, n, k, alpha, transA ? va.Transposed : va, transB ? vb.Transposed : vb, beta, MatrixView.RowMajor(c, ldc));
    }

    /// <summary>C (M x N) = alpha * A (M x K) * B (K x N) + beta * C, then <paramref name="epilogue"/> on every element.</summary>
    public static void Multiply(int m, int n, int k, float alpha, in MatrixView a, in MatrixView b, float beta, in MatrixView c,
        in GemmEpilogue epilogue = default)
    {
        if (m == 0 || n == 0) return;
        a.Check(m, k, "A");
        b.Check(k, n, "B");
        c.Check(m, n, "C");
        if (_backend == GemmBackend.OpenBlas && epilogue.IsIdentity && Plain(a) && Plain(b) && Plain(c) && c.ColStride == 1)
            OpenBlas.Sgemm(a.ColStride != 1, b.ColStride != 1, m, n, k, alpha, a.Data.AsSpan(a.Offset), Ld(a), b.Data.AsSpan(b.Offset), Ld(b),
                beta, c.Data.AsSpan(c.Offset), c.RowStride);
        else
            ManagedGemm.Multiply(m, n, k, alpha, a, b, beta, c, epilogue);
    }

    private static bool Plain(in MatrixView v) => v.RowGroup == 0 && v.ColGroup == 0 && (v.ColStride == 1 || v.RowStride == 1);
    private static int Ld(in MatrixView v) => v.ColStride == 1 ? v.RowStride : v.ColStride;
}
