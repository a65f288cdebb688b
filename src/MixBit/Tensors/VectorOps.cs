using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MixBit.Tensors;

/// <summary>Fused element-wise loops that TensorPrimitives does not offer in one pass (Vector256 body, scalar tail).</summary>
public static class VectorOps
{
    /// <summary>Returns (sum x, sum x^2) in one pass.</summary>
    public static (float Sum, float SumOfSquares) SumAndSumOfSquares(ReadOnlySpan<float> x)
    {
        var s = Vector256<float>.Zero; var q = Vector256<float>.Zero;
        int i = 0;
        ref float r = ref Unsafe.AsRef(in x.GetPinnableReference());
        for (; i + 8 <= x.Length; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref r, (nuint)i);
            s += v;
            q = Vector256.FusedMultiplyAdd(v, v, q);
        }
        float sum = Vector256.Sum(s), sq = Vector256.Sum(q);
        for (; i < x.Length; i++) { sum += x[i]; sq += x[i] * x[i]; }
        return (sum, sq);
    }

    /// <summary>d = g where lo &lt; x &lt; hi, else 0 (gradient of a clamp).</summary>
    public static void MaskedCopy(ReadOnlySpan<float> x, ReadOnlySpan<float> g, float lo, float hi, Span<float> d)
    {
        int i = 0;
        ref float rx = ref Unsafe.AsRef(in x.GetPinnableReference());
        ref float rg = ref Unsafe.AsRef(in g.GetPinnableReference());
        ref float rd = ref d.GetPinnableReference();
        var vlo = Vector256.Create(lo); var vhi = Vector256.Create(hi);
        for (; i + 8 <= x.Length; i += 8)
        {
            var xv = Vector256.LoadUnsafe(ref rx, (nuint)i);
            var mask = Vector256.GreaterThan(xv, vlo) & Vector256.LessThan(xv, vhi);
            (mask & Vector256.LoadUnsafe(ref rg, (nuint)i)).StoreUnsafe(ref rd, (nuint)i);
        }
        for (; i < x.Length; i++) d[i] = x[i] > lo && x[i] < hi ? g[i] : 0f;
    }

    /// <summary>y = x * scale + shift.</summary>
    public static void Affine(ReadOnlySpan<float> x, float scale, float shift, Span<float> y)
    {
        int i = 0;
        ref float rx = ref Unsafe.AsRef(in x.GetPinnableReference());
        ref float ry = ref y.GetPinnableReference();
        var vs = Vector256.Create(scale); var vb = Vector256.Create(shift);
        for (; i + 8 <= x.Length; i += 8)
            Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rx, (nuint)i), vs, vb).StoreUnsafe(ref ry, (nuint)i);
        for (; i < x.Length; i++) y[i] = x[i] * scale + shift;
    }

    /// <summary>Returns (sum g, sum g*h) in one pass.</summary>
    public static (float Sum, float Dot) SumAndDot(ReadOnlySpan<float> g, ReadOnlySpan<float> h)
    {
        var s = Vector256<float>.Zero; var p = Vector256<float>.Zero;
        int i = 0;
        ref float rg = ref Unsafe.AsRef(in g.GetPinnableReference());
        ref float rh = ref Unsafe.AsRef(in h.GetPinnableReference());
        for (; i + 8 <= g.Length; i += 8)
        {
            var gv = Vector256.LoadUnsafe(ref rg, (nuint)i);
            s += gv;
            p = Vector256.FusedMultiplyAdd(gv, Vector256.LoadUnsafe(ref rh, (nuint)i), p);
        }
        float sum = Vector256.Sum(s), dot = Vector256.Sum(p);
        for (; i < g.Length; i++) { sum += g[i]; dot += g[i] * h[i]; }
        return (sum, dot);
    }

    /// <summary>y = clamp(y + b, lo, hi) in place.</summary>
    public static void AddClamp(Span<float> y, float b, float lo, float hi)
    {
        int i = 0;
        ref float ry = ref y.GetPinnableReference();
        var vb = Vector256.Create(b); var vlo = Vector256.Create(lo); var vhi = Vector256.Create(hi);
        for (; i + 8 <= y.Length; i += 8)
            Vector256.Min(Vector256.Max(Vector256.LoadUnsafe(ref ry, (nuint)i) + vb, vlo), vhi).StoreUnsafe(ref ry, (nuint)i);
        for (; i < y.Length; i++) y[i] = Math.Min(Math.Max(y[i] + b, lo), hi);
    }

    /// <summary>In-place 8x8 transpose of the rows r0..r7 (unpack, shuffle, then swap 128-bit halves; 24 instructions). Needs AVX.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20); r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20); r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31); r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31); r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>In-place 4x4 transpose of the rows r0..r3. Needs SSE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose4x4(ref Vector128<float> r0, ref Vector128<float> r1, ref Vector128<float> r2, ref Vector128<float> r3)
    {
        var t0 = Sse.UnpackLow(r0, r1); var t1 = Sse.UnpackLow(r2, r3);
        var t2 = Sse.UnpackHigh(r0, r1); var t3 = Sse.UnpackHigh(r2, r3);
        r0 = Sse.MoveLowToHigh(t0, t1); r1 = Sse.MoveHighToLow(t1, t0);
        r2 = Sse.MoveLowToHigh(t2, t3); r3 = Sse.MoveHighToLow(t3, t2);
    }
}
