using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

    /// <summary>xhat = (x - mean) * invStd; y = xhat * scale + shift, in one pass.</summary>
    public static void Normalize(ReadOnlySpan<float> x, float mean, float invStd, float scale, float shift, Span<float> xhat, Span<float> y)
    {
        int i = 0;
        ref float rx = ref Unsafe.AsRef(in x.GetPinnableReference());
        ref float rh = ref xhat.GetPinnableReference();
        ref float ry = ref y.GetPinnableReference();
        var vm = Vector256.Create(mean); var vi = Vector256.Create(invStd); var vs = Vector256.Create(scale); var vb = Vector256.Create(shift);
        for (; i + 8 <= x.Length; i += 8)
        {
            var h = (Vector256.LoadUnsafe(ref rx, (nuint)i) - vm) * vi;
            h.StoreUnsafe(ref rh, (nuint)i);
            Vector256.FusedMultiplyAdd(h, vs, vb).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < x.Length; i++) { xhat[i] = (x[i] - mean) * invStd; y[i] = xhat[i] * scale + shift; }
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

    /// <summary>d = k * (g - a - h * b): the batch-norm input gradient.</summary>
    public static void BatchNormInputGradient(ReadOnlySpan<float> g, ReadOnlySpan<float> h, float a, float b, float k, Span<float> d)
    {
        int i = 0;
        ref float rg = ref Unsafe.AsRef(in g.GetPinnableReference());
        ref float rh = ref Unsafe.AsRef(in h.GetPinnableReference());
        ref float rd = ref d.GetPinnableReference();
        var va = Vector256.Create(a); var vb = Vector256.Create(b); var vk = Vector256.Create(k);
        for (; i + 8 <= g.Length; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref rg, (nuint)i) - va - Vector256.LoadUnsafe(ref rh, (nuint)i) * vb;
            (v * vk).StoreUnsafe(ref rd, (nuint)i);
        }
        for (; i < g.Length; i++) d[i] = k * (g[i] - a - h[i] * b);
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
}
