using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MixBit.Tensors;

/// <summary>
/// Managed SIMD GEMM, used where OpenBLAS is absent. Transposed operands are first copied into row-major
/// scratch; the kernel then computes 4 rows x 16 columns of C per step with 8 Vector256 accumulators, so each
/// loaded row segment of B feeds 4 FMAs.
/// </summary>
internal static class ManagedGemm
{
    [ThreadStatic] private static float[]? _scratchA, _scratchB;

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) TensorPrimitives.Multiply(row, beta, row);
        }
        if (k == 0 || alpha == 0f) return;

        if (transA || alpha != 1f)
        {
            // Row-major M x K copy of alpha * op(A).
            var buf = Rent(ref _scratchA, m * k);
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                    buf[i * k + p] = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
            a = buf.AsSpan(0, m * k);
            lda = k;
        }
        if (transB)
        {
            var buf = Rent(ref _scratchB, k * n);
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++)
                    buf[p * n + j] = b[j * ldb + p];
            b = buf.AsSpan(0, k * n);
            ldb = n;
        }
        Kernel(m, n, k, a, lda, b, ldb, c, ldc);
    }

    private static float[] Rent(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[Math.Max(length, 1024)];
        return buffer;
    }

    /// <summary>C += A * B, all row-major, no transposes.</summary>
    private static void Kernel(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        ref float ra = ref Unsafe.AsRef(in a[0]);
        ref float rb = ref Unsafe.AsRef(in b[0]);
        ref float rc = ref c[0];
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 16 <= n; j += 16)
            {
                int i = 0;
                for (; i + 4 <= m; i += 4) Block4x16(ref ra, lda, ref rb, ldb, ref rc, ldc, i, j, k);
                for (; i < m; i++) Block1x16(ref ra, lda, ref rb, ldb, ref rc, ldc, i, j, k);
            }
            for (; j + 8 <= n; j += 8)
                for (int i = 0; i < m; i++) Block1x8(ref ra, lda, ref rb, ldb, ref rc, ldc, i, j, k);
        }
        for (; j < n; j++)
            for (int i = 0; i < m; i++)
            {
                float s = 0;
                for (int p = 0; p < k; p++) s += Unsafe.Add(ref ra, i * lda + p) * Unsafe.Add(ref rb, p * ldb + j);
                Unsafe.Add(ref rc, i * ldc + j) += s;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x16(ref float a, int lda, ref float b, int ldb, ref float c, int ldc, int i, int j, int k)
    {
        var c00 = Vector256<float>.Zero; var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero; var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero; var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero; var c31 = Vector256<float>.Zero;
        ref float a0 = ref Unsafe.Add(ref a, i * lda);
        ref float a1 = ref Unsafe.Add(ref a0, lda);
        ref float a2 = ref Unsafe.Add(ref a1, lda);
        ref float a3 = ref Unsafe.Add(ref a2, lda);
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref bj, p * ldb);
            var b0 = Vector256.LoadUnsafe(ref bp);
            var b1 = Vector256.LoadUnsafe(ref bp, 8);
            var x = Vector256.Create(Unsafe.Add(ref a0, p));
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref a1, p));
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref a2, p));
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref a3, p));
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
        }
        AddStore(ref Unsafe.Add(ref c, i * ldc + j), c00, c01);
        AddStore(ref Unsafe.Add(ref c, (i + 1) * ldc + j), c10, c11);
        AddStore(ref Unsafe.Add(ref c, (i + 2) * ldc + j), c20, c21);
        AddStore(ref Unsafe.Add(ref c, (i + 3) * ldc + j), c30, c31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x16(ref float a, int lda, ref float b, int ldb, ref float c, int ldc, int i, int j, int k)
    {
        var c0 = Vector256<float>.Zero; var c1 = Vector256<float>.Zero;
        ref float ai = ref Unsafe.Add(ref a, i * lda);
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
        {
            ref float bp = ref Unsafe.Add(ref bj, p * ldb);
            var x = Vector256.Create(Unsafe.Add(ref ai, p));
            c0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref bp), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref bp, 8), c1);
        }
        AddStore(ref Unsafe.Add(ref c, i * ldc + j), c0, c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x8(ref float a, int lda, ref float b, int ldb, ref float c, int ldc, int i, int j, int k)
    {
        var c0 = Vector256<float>.Zero;
        ref float ai = ref Unsafe.Add(ref a, i * lda);
        ref float bj = ref Unsafe.Add(ref b, j);
        for (int p = 0; p < k; p++)
            c0 = Vector256.FusedMultiplyAdd(Vector256.Create(Unsafe.Add(ref ai, p)), Vector256.LoadUnsafe(ref Unsafe.Add(ref bj, p * ldb)), c0);
        ref float ci = ref Unsafe.Add(ref c, i * ldc + j);
        (Vector256.LoadUnsafe(ref ci) + c0).StoreUnsafe(ref ci);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddStore(ref float dst, Vector256<float> v0, Vector256<float> v1)
    {
        (Vector256.LoadUnsafe(ref dst) + v0).StoreUnsafe(ref dst);
        (Vector256.LoadUnsafe(ref dst, 8) + v1).StoreUnsafe(ref dst, 8);
    }
}
