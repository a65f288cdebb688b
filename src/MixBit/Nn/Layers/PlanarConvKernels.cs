using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Standard convolutions with few input channels (a stem with 1 or 3 input channels, c_in x k_h x k_w at most 32), where
/// im2col + GEMM would multiply with a tiny inner dimension, computed on whole zero-padded input planes of one image:
/// y[co, oy, ox] = sum over ci, ky, kx of w[co, ci, ky, kx] * x[ci, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW].
/// <para>
/// Each input plane is copied into a zero-padded plane P and split into sH*sW phase planes
/// Q[a,b][r, q] = P[r*sH + a, q*sW + b] of pitch qw (with stride 1 the single phase is P itself). Tap (ky, kx) then
/// reads phase ((ky*dH) mod sH, (kx*dW) mod sW) at the constant offset (ky*dH div sH)*qw + (kx*dW div sW) from the
/// flat index j = oy*qw + ox. So every stride is a stride-1 problem over j in [0, (OutH-1)*qw + OutW): eight
/// outputs per step whatever the map width; the qw - OutW positions between rows are computed and dropped
/// (forward) or fed zeros (weight gradient).
/// </para>
/// </summary>
internal static class PlanarConvKernels
{
    private readonly record struct Layout(int Ph, int Pw, int Qh, int Qw, int Phases)
    {
        public int Plane => Ph * Pw;
        public int PhasePlane => Qh * Qw;
        /// <summary>Floats of one image's phase planes (its padded plane when the stride is 1).</summary>
        public int ImageBlock => Phases * PhasePlane;
        public int FlatLength(in ConvGeometry g) => (g.OutH - 1) * Qw + g.OutW;
    }

    private static Layout LayoutOf(in ConvGeometry g)
    {
        int ph = (g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
        int pw = (g.OutW - 1) * g.StrideW + (g.KernelW - 1) * g.DilationW + 1;
        return new(ph, pw, (ph + g.StrideH - 1) / g.StrideH, (pw + g.StrideW - 1) / g.StrideW, g.StrideH * g.StrideW);
    }

    private static bool Unit(in ConvGeometry g) => g.StrideH == 1 && g.StrideW == 1;

    /// <summary>Offset of each tap from the flat output index, into an image's concatenated phase planes.</summary>
    private static void TapOffsets(in ConvGeometry g, in Layout l, Span<int> offsets)
    {
        for (int ky = 0; ky < g.KernelH; ky++)
            for (int kx = 0; kx < g.KernelW; kx++)
            {
                int ry = ky * g.DilationH, rx = kx * g.DilationW;
                int phase = ry % g.StrideH * g.StrideW + rx % g.StrideW;
                offsets[ky * g.KernelW + kx] = phase * l.PhasePlane + ry / g.StrideH * l.Qw + rx / g.StrideW;
            }
    }

    /// <summary>
    /// flat[j] (+)= sum_t w[t] * q[j + offsets[t]], taps in order for every j: eight vectors of outputs per pass over the
    /// taps (eight independent FMA chains keep both FMA units busy; with two, each tap waited for the previous one's
    /// result), then two, then one output at a time. Weights broadcast once.
    /// </summary>
    private static void Flat(ReadOnlySpan<float> q, ReadOnlySpan<float> w, ReadOnlySpan<int> offsets, Span<float> flat, bool accumulate = false)
    {
        ref float rq = ref Unsafe.AsRef(in q[0]);
        ref float rf = ref flat[0];
        int taps = offsets.Length, j = 0;
        Span<Vector256<float>> wv = stackalloc Vector256<float>[taps];
        for (int t = 0; t < taps; t++) wv[t] = Vector256.Create(w[t]);
        for (; j + 64 <= flat.Length; j += 64)
        {
            ref float f = ref Unsafe.Add(ref rf, j);
            Vector256<float> a0, a1, a2, a3, a4, a5, a6, a7;
            if (accumulate)
            {
                a0 = Vector256.LoadUnsafe(ref f); a1 = Vector256.LoadUnsafe(ref f, 8); a2 = Vector256.LoadUnsafe(ref f, 16); a3 = Vector256.LoadUnsafe(ref f, 24);
                a4 = Vector256.LoadUnsafe(ref f, 32); a5 = Vector256.LoadUnsafe(ref f, 40); a6 = Vector256.LoadUnsafe(ref f, 48); a7 = Vector256.LoadUnsafe(ref f, 56);
            }
            else a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = Vector256<float>.Zero;
            for (int t = 0; t < taps; t++)
            {
                ref float src = ref Unsafe.Add(ref rq, j + offsets[t]);
                var wt = wv[t];
                a0 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src), a0);
                a1 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src, 8), a1);
                a2 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src, 16), a2);
                a3 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src, 24), a3);
                a4 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src, 32), a4);
                a5 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src, 40), a5);
                a6 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src, 48), a6);
                a7 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref src, 56), a7);
            }
            a0.StoreUnsafe(ref f); a1.StoreUnsafe(ref f, 8); a2.StoreUnsafe(ref f, 16); a3.StoreUnsafe(ref f, 24);
            a4.StoreUnsafe(ref f, 32); a5.StoreUnsafe(ref f, 40); a6.StoreUnsafe(ref f, 48); a7.StoreUnsafe(ref f, 56);
        }
        for (; j + 16 <= flat.Length; j += 16)
        {
            var a0 = accumulate ? Vector256.LoadUnsafe(ref rf, (nuint)j) : Vector256<float>.Zero;
            var a1 = accumulate ? Vector256.LoadUnsafe(ref rf, (nuint)(j + 8)) : Vector256<float>.Zero;
            for (int t = 0; t < taps; t++)
            {
                ref float src = ref Unsafe.Add(ref rq, j + offsets[t]);
                a0 = Vector256.FusedMultiplyAdd(wv[t], Vector256.LoadUnsafe(ref src), a0);
                a1 = Vector256.FusedMultiplyAdd(wv[t], Vector256.LoadUnsafe(ref src, 8), a1);
            }
            a0.StoreUnsafe(ref rf, (nuint)j);
            a1.StoreUnsafe(ref rf, (nuint)(j + 8));
        }
        for (; j < flat.Length; j++)
        {
            float acc = accumulate ? flat[j] : 0;
            for (int t = 0; t < taps; t++) acc = MathF.FusedMultiplyAdd(w[t], q[j + offsets[t]], acc);
            flat[j] = acc;
        }
    }

    /// <summary>Whether <see cref="DenseForward"/> pays for a standard (groups = 1) convolution: a spatial kernel over few
    /// input channels (c_in x k_h x k_w at most 32), where im2col + GEMM has a tiny inner dimension.</summary>
    public static bool PrefersDense(Conv2dSpec spec) => spec.Groups == 1 && !spec.IsPointwise && spec.KernelH * spec.KernelW > 1
        && spec.InChannels * spec.KernelH * spec.KernelW <= 32;

    /// <summary>Floats of per-worker scratch that <see cref="DenseForward"/> and <see cref="DenseWeightGradient"/> need.</summary>
    public static int DenseScratchLength(in ConvGeometry g, int inChannels)
    {
        var l = LayoutOf(g);
        return l.Plane + inChannels * l.ImageBlock + l.PhasePlane;
    }

    /// <summary>
    /// y[co] = clamp(sum over ci of the planar convolution of x[ci] with w[co, ci] + bias[co], lo, hi) for one image and
    /// output channels [co0, co1); every input plane is padded and split once.
    /// </summary>
    public static void DenseForward(in ConvGeometry g, int inChannels, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y,
        int co0, int co1, in GemmEpilogue epilogue, Span<float> scratch)
    {
        var l = LayoutOf(g);
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, taps = g.KernelH * g.KernelW, phasesLength = l.ImageBlock;
        var padded = scratch[..l.Plane];
        var planes = scratch.Slice(l.Plane, inChannels * phasesLength);
        var flat = scratch.Slice(l.Plane + inChannels * phasesLength, l.FlatLength(g));
        Span<int> offsets = stackalloc int[taps];
        TapOffsets(g, l, offsets);
        if (Unit(g)) planes.Clear();
        else padded.Clear();
        for (int ci = 0; ci < inChannels; ci++)
        {
            var q = planes.Slice(ci * phasesLength, phasesLength);
            Pad(g, x.Slice(ci * inPlane, inPlane), Unit(g) ? q : padded, l);
            if (!Unit(g)) Split(g, l, padded, q);
        }
        for (int co = co0; co < co1; co++)
        {
            for (int ci = 0; ci < inChannels; ci++)
                Flat(planes.Slice(ci * phasesLength, phasesLength), w.Slice((co * inChannels + ci) * taps, taps), offsets, flat, accumulate: ci > 0);
            var yc = y.Slice(co * outPlane, outPlane);
            float bias = epilogue.IsIdentity ? 0f : epilogue.Bias?[co] ?? 0f;
            float lo = epilogue.IsIdentity ? float.NegativeInfinity : epilogue.Lo, hi = epilogue.IsIdentity ? float.PositiveInfinity : epilogue.Hi;
            for (int oy = 0; oy < g.OutH; oy++) CopyRowClamped(flat.Slice(oy * l.Qw, g.OutW), yc.Slice(oy * g.OutW, g.OutW), bias, lo, hi);
        }
    }

    /// <summary>
    /// Adds dL/dw[co, ·] = sum over images of the correlation of dy[n, co] with the padded input planes into
    /// <paramref name="dW"/> (the co row, inChannels x taps), images in order: dy laid out with the phase planes' pitch
    /// (zeros between rows), each tap is one dot product. The input gradient is not computed (a stem reads the graph input).
    /// </summary>
    public static void DenseWeightGradient(in ConvGeometry g, int inChannels, float[] x, float[] dy, int outChannels, int images, int co,
        Span<float> dW, Span<float> scratch)
    {
        var l = LayoutOf(g);
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, taps = g.KernelH * g.KernelW, block = l.ImageBlock;
        var padded = scratch[..l.Plane];
        var planes = scratch.Slice(l.Plane, inChannels * block);
        var flat = scratch.Slice(l.Plane + inChannels * block, l.FlatLength(g));
        Span<int> offsets = stackalloc int[taps];
        TapOffsets(g, l, offsets);
        if (Unit(g)) planes.Clear();
        else padded.Clear();
        flat.Clear();
        for (int n = 0; n < images; n++)
        {
            for (int ci = 0; ci < inChannels; ci++)
            {
                var q = planes.Slice(ci * block, block);
                Pad(g, x.AsSpan((n * inChannels + ci) * inPlane, inPlane), Unit(g) ? q : padded, l);
                if (!Unit(g)) Split(g, l, padded, q);
            }
            var dyc = dy.AsSpan((n * outChannels + co) * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++) CopyRow(dyc.Slice(oy * g.OutW, g.OutW), flat.Slice(oy * l.Qw, g.OutW));
            for (int ci = 0; ci < inChannels; ci++)
                for (int t = 0; t < taps; t++)
                    dW[ci * taps + t] += TensorPrimitives.Dot(flat, planes.Slice(ci * block + offsets[t], flat.Length));
        }
    }

    /// <summary>Copies a channel into the interior of a padded plane whose border the caller has zeroed (it is never written).</summary>
    private static void Pad(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> p, in Layout l)
    {
        int cols = Math.Min(g.InW, l.Pw - g.PadLeft);
        if (cols <= 0) return;
        for (int iy = 0; iy < g.InH && iy + g.PadTop < l.Ph; iy++)
            CopyRow(x.Slice(iy * g.InW, cols), p.Slice((iy + g.PadTop) * l.Pw + g.PadLeft, cols));
    }

    /// <summary>dst = src (equal lengths), inline: the rows of 2x2 to 28x28 maps are too short for a memmove call to pay.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(ReadOnlySpan<float> src, Span<float> dst)
    {
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        int i = 0, n = src.Length;
        for (; i + 8 <= n; i += 8) Vector256.LoadUnsafe(ref s, (nuint)i).StoreUnsafe(ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
    }

    /// <summary>dst = clamp(src + bias, lo, hi) (equal lengths), with the max-then-min of x86 vmaxps/vminps in both paths.</summary>
    private static void CopyRowClamped(ReadOnlySpan<float> src, Span<float> dst, float bias, float lo, float hi)
    {
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        int i = 0, n = src.Length;
        var vb = Vector256.Create(bias); var vlo = Vector256.Create(lo); var vhi = Vector256.Create(hi);
        for (; i + 8 <= n; i += 8)
            Vector256.MinNative(Vector256.MaxNative(Vector256.LoadUnsafe(ref s, (nuint)i) + vb, vlo), vhi).StoreUnsafe(ref d, (nuint)i);
        // A row of 8 or more: the last vector ends at the row's end, overlapping ones already written with the same values
        // (src and dst are different buffers), instead of a scalar tail of up to 7 branches per row.
        if (i < n && n >= 8)
        {
            Vector256.MinNative(Vector256.MaxNative(Vector256.LoadUnsafe(ref s, (nuint)(n - 8)) + vb, vlo), vhi).StoreUnsafe(ref d, (nuint)(n - 8));
            return;
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref s, i) + bias;
            v = v > lo ? v : lo;
            Unsafe.Add(ref d, i) = v < hi ? v : hi;
        }
    }

    /// <summary>Q[a*sW + b][r, q] = P[r*sH + a, q*sW + b], zero beyond P.</summary>
    private static void Split(in ConvGeometry g, in Layout l, ReadOnlySpan<float> p, Span<float> q)
    {
        for (int a = 0; a < g.StrideH; a++)
            for (int r = 0; r < l.Qh; r++)
            {
                int py = r * g.StrideH + a;
                for (int b = 0; b < g.StrideW; b++)
                {
                    var row = q.Slice((a * g.StrideW + b) * l.PhasePlane + r * l.Qw, l.Qw);
                    if (py >= l.Ph) row.Clear();
                    else if (g.StrideW != 2) Gather(p.Slice(py * l.Pw, l.Pw), b, g.StrideW, row);
                }
                if (py < l.Ph && g.StrideW == 2)
                    Deinterleave(p.Slice(py * l.Pw, l.Pw), q.Slice(a * 2 * l.PhasePlane + r * l.Qw, l.Qw),
                        q.Slice((a * 2 + 1) * l.PhasePlane + r * l.Qw, l.Qw));
            }
    }

    /// <summary>row[q] = src[q*stride + b], zero past the end of src.</summary>
    private static void Gather(ReadOnlySpan<float> src, int b, int stride, Span<float> row)
    {
        int qc = 0;
        for (int px = b; px < src.Length; px += stride) row[qc++] = src[px];
        row[qc..].Clear();
    }

    /// <summary>even[q] = src[2q], odd[q] = src[2q + 1] (zero past the end of src), eight pairs per step.</summary>
    private static void Deinterleave(ReadOnlySpan<float> src, Span<float> even, Span<float> odd)
    {
        int px = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            ref float rs = ref Unsafe.AsRef(in src[0]);
            for (; px + 16 <= src.Length; px += 16)
            {
                var v0 = Vector256.Shuffle(Vector256.LoadUnsafe(ref rs, (nuint)px), order);
                var v1 = Vector256.Shuffle(Vector256.LoadUnsafe(ref rs, (nuint)(px + 8)), order);
                Vector256.Create(v0.GetLower(), v1.GetLower()).StoreUnsafe(ref even[px / 2]);
                Vector256.Create(v0.GetUpper(), v1.GetUpper()).StoreUnsafe(ref odd[px / 2]);
            }
        }
        for (; px < src.Length; px++) (px % 2 == 0 ? even : odd)[px / 2] = src[px];
        even[((src.Length + 1) / 2)..].Clear();
        odd[(src.Length / 2)..].Clear();
    }
}
