using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MixBit.Nn.Specs;

namespace MixBit.Nn.Layers;

/// <summary>
/// Convolutions computed on whole zero-padded input planes, for one image: depthwise (channel c reads only input
/// channel c) forward and backward, and the forward of standard convolutions with few input channels (a stem with
/// 1 or 3 input channels), where im2col + GEMM would multiply with a tiny inner dimension. Depthwise:
/// y[c, oy, ox] = sum_{ky,kx} w[c, ky, kx] * x[c, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW].
/// <para>
/// Each channel is copied into a zero-padded plane P and split into sH*sW phase planes
/// Q[a,b][r, q] = P[r*sH + a, q*sW + b] of pitch qw (with stride 1 the single phase is P itself). Tap (ky, kx) then
/// reads phase ((ky*dH) mod sH, (kx*dW) mod sW) at the constant offset (ky*dH div sH)*qw + (kx*dW div sW) from the
/// flat index j = oy*qw + ox. So every stride is a stride-1 problem over j in [0, (OutH-1)*qw + OutW): eight
/// outputs per step whatever the map width; the qw - OutW positions between rows are computed and dropped
/// (forward) or fed zeros (backward).
/// </para>
/// </summary>
internal static class PlanarConvKernels
{
    private readonly record struct Layout(int Ph, int Pw, int Qh, int Qw, int Phases)
    {
        public int Plane => Ph * Pw;
        public int PhasePlane => Qh * Qw;
        public int FlatLength(in ConvGeometry g) => (g.OutH - 1) * Qw + g.OutW;
    }

    private static Layout LayoutOf(in ConvGeometry g)
    {
        int ph = (g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
        int pw = (g.OutW - 1) * g.StrideW + (g.KernelW - 1) * g.DilationW + 1;
        return new(ph, pw, (ph + g.StrideH - 1) / g.StrideH, (pw + g.StrideW - 1) / g.StrideW, g.StrideH * g.StrideW);
    }

    private static bool Unit(in ConvGeometry g) => g.StrideH == 1 && g.StrideW == 1;

    /// <summary>Floats of per-worker scratch that <see cref="Forward"/> and <see cref="Backward"/> need.</summary>
    public static int ScratchLength(in ConvGeometry g)
    {
        var l = LayoutOf(g);
        return 2 * l.Plane + 2 * l.Phases * l.PhasePlane + l.PhasePlane;
    }

    /// <summary>Offset of each tap from the flat output index, into the concatenated phase planes.</summary>
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

    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, Span<float> scratch)
    {
        var l = LayoutOf(g);
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, taps = g.KernelH * g.KernelW;
        var padded = scratch[..l.Plane];
        var phases = Unit(g) ? padded : scratch.Slice(l.Plane, l.Phases * l.PhasePlane);
        var flat = scratch.Slice(l.Plane + l.Phases * l.PhasePlane, l.FlatLength(g));
        Span<int> offsets = stackalloc int[taps];
        TapOffsets(g, l, offsets);
        int channels = y.Length / outPlane;
        for (int c = 0; c < channels; c++)
        {
            Pad(g, x.Slice(c * inPlane, inPlane), padded, l);
            if (!Unit(g)) Split(g, l, padded, phases);
            Flat(phases, w.Slice(c * taps, taps), offsets, flat);
            var yc = y.Slice(c * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++) flat.Slice(oy * l.Qw, g.OutW).CopyTo(yc.Slice(oy * g.OutW, g.OutW));
        }
    }

    /// <summary>flat[j] (+)= sum_t w[t] * q[j + offsets[t]].</summary>
    private static void Flat(ReadOnlySpan<float> q, ReadOnlySpan<float> w, ReadOnlySpan<int> offsets, Span<float> flat, bool accumulate = false)
    {
        ref float rq = ref Unsafe.AsRef(in q[0]);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= flat.Length; j += 8)
            {
                var acc = accumulate ? Vector256.LoadUnsafe(ref flat[j]) : Vector256<float>.Zero;
                for (int t = 0; t < offsets.Length; t++)
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[t]), Vector256.LoadUnsafe(ref rq, (nuint)(j + offsets[t])), acc);
                acc.StoreUnsafe(ref flat[j]);
            }
        for (; j < flat.Length; j++)
        {
            float acc = accumulate ? flat[j] : 0;
            for (int t = 0; t < offsets.Length; t++) acc += w[t] * q[j + offsets[t]];
            flat[j] = acc;
        }
    }

    /// <summary>Whether <see cref="DenseForward"/> pays for a standard (groups = 1) convolution: a spatial kernel over few
    /// input channels (c_in x k_h x k_w at most 32), where im2col + GEMM has a tiny inner dimension.</summary>
    public static bool PrefersDense(Conv2dSpec spec) => spec.Groups == 1 && !spec.IsPointwise && spec.KernelH * spec.KernelW > 1
        && spec.InChannels * spec.KernelH * spec.KernelW <= 32;

    /// <summary>Floats of per-worker scratch that <see cref="DenseForward"/> needs for <paramref name="inChannels"/> planes.</summary>
    public static int DenseScratchLength(in ConvGeometry g, int inChannels)
    {
        var l = LayoutOf(g);
        return l.Plane + inChannels * l.Phases * l.PhasePlane + l.PhasePlane;
    }

    /// <summary>y[co] = sum over ci of the planar convolution of x[ci] with w[co, ci]; every input plane is padded and split once.</summary>
    public static void DenseForward(in ConvGeometry g, int inChannels, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, Span<float> scratch)
    {
        var l = LayoutOf(g);
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, taps = g.KernelH * g.KernelW, phasesLength = l.Phases * l.PhasePlane;
        var padded = scratch[..l.Plane];
        var planes = scratch.Slice(l.Plane, inChannels * phasesLength);
        var flat = scratch.Slice(l.Plane + inChannels * phasesLength, l.FlatLength(g));
        Span<int> offsets = stackalloc int[taps];
        TapOffsets(g, l, offsets);
        for (int ci = 0; ci < inChannels; ci++)
        {
            var q = planes.Slice(ci * phasesLength, phasesLength);
            Pad(g, x.Slice(ci * inPlane, inPlane), Unit(g) ? q : padded, l);
            if (!Unit(g)) Split(g, l, padded, q);
        }
        int outChannels = y.Length / outPlane;
        for (int co = 0; co < outChannels; co++)
        {
            for (int ci = 0; ci < inChannels; ci++)
                Flat(planes.Slice(ci * phasesLength, phasesLength), w.Slice((co * inChannels + ci) * taps, taps), offsets, flat, accumulate: ci > 0);
            var yc = y.Slice(co * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++) flat.Slice(oy * l.Qw, g.OutW).CopyTo(yc.Slice(oy * g.OutW, g.OutW));
        }
    }

    /// <summary>Adds dL/dw into <paramref name="dW"/>; when <paramref name="needInputGrad"/>, overwrites <paramref name="dx"/> with dL/dx.</summary>
    public static void Backward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy,
        Span<float> dW, Span<float> dx, bool needInputGrad, Span<float> scratch)
    {
        var l = LayoutOf(g);
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, taps = g.KernelH * g.KernelW;
        int phasesLength = l.Phases * l.PhasePlane;
        var padded = scratch[..l.Plane];
        var dPadded = scratch.Slice(l.Plane, l.Plane);
        var phases = Unit(g) ? padded : scratch.Slice(2 * l.Plane, phasesLength);
        var dPhases = Unit(g) ? dPadded : scratch.Slice(2 * l.Plane + phasesLength, phasesLength);
        var flat = scratch.Slice(2 * l.Plane + 2 * phasesLength, l.FlatLength(g));
        Span<int> offsets = stackalloc int[taps];
        TapOffsets(g, l, offsets);
        int channels = dy.Length / outPlane;
        for (int c = 0; c < channels; c++)
        {
            Pad(g, x.Slice(c * inPlane, inPlane), padded, l);
            if (!Unit(g)) Split(g, l, padded, phases);
            // dy with the phase planes' pitch, zeros between rows, so each tap is one flat dot and one flat axpy.
            flat.Clear();
            var dyc = dy.Slice(c * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++) dyc.Slice(oy * g.OutW, g.OutW).CopyTo(flat.Slice(oy * l.Qw, g.OutW));
            if (needInputGrad) dPhases.Clear();
            for (int t = 0; t < taps; t++)
            {
                dW[c * taps + t] += TensorPrimitives.Dot(flat, phases.Slice(offsets[t], flat.Length));
                if (needInputGrad)
                {
                    var d = dPhases.Slice(offsets[t], flat.Length);
                    TensorPrimitives.MultiplyAdd(flat, w[c * taps + t], d, d);
                }
            }
            if (!needInputGrad) continue;
            if (!Unit(g)) Merge(g, l, dPhases, dPadded);
            Crop(g, dPadded, l, dx.Slice(c * inPlane, inPlane));
        }
    }

    /// <summary>Copies a channel into the zero-padded plane (rows/columns beyond the input stay zero).</summary>
    private static void Pad(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> p, in Layout l)
    {
        p.Clear();
        int cols = Math.Min(g.InW, l.Pw - g.PadLeft);
        if (cols <= 0) return;
        for (int iy = 0; iy < g.InH && iy + g.PadTop < l.Ph; iy++)
            x.Slice(iy * g.InW, cols).CopyTo(p.Slice((iy + g.PadTop) * l.Pw + g.PadLeft, cols));
    }

    /// <summary>The input-sized window of a padded gradient plane (the adjoint of <see cref="Pad"/>).</summary>
    private static void Crop(in ConvGeometry g, ReadOnlySpan<float> p, in Layout l, Span<float> dx)
    {
        dx.Clear();
        int cols = Math.Min(g.InW, l.Pw - g.PadLeft);
        if (cols <= 0) return;
        for (int iy = 0; iy < g.InH && iy + g.PadTop < l.Ph; iy++)
            p.Slice((iy + g.PadTop) * l.Pw + g.PadLeft, cols).CopyTo(dx.Slice(iy * g.InW, cols));
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

    /// <summary>The adjoint of <see cref="Split"/>: P[r*sH + a, q*sW + b] = Q[a*sW + b][r, q].</summary>
    private static void Merge(in ConvGeometry g, in Layout l, ReadOnlySpan<float> q, Span<float> p)
    {
        for (int a = 0; a < g.StrideH; a++)
            for (int r = 0; r < l.Qh; r++)
            {
                int py = r * g.StrideH + a;
                if (py >= l.Ph) continue;
                var dst = p.Slice(py * l.Pw, l.Pw);
                if (g.StrideW == 2)
                {
                    Interleave(q.Slice(a * 2 * l.PhasePlane + r * l.Qw, l.Qw), q.Slice((a * 2 + 1) * l.PhasePlane + r * l.Qw, l.Qw), dst);
                    continue;
                }
                for (int b = 0; b < g.StrideW; b++)
                {
                    var row = q.Slice((a * g.StrideW + b) * l.PhasePlane + r * l.Qw, l.Qw);
                    int qc = 0;
                    for (int px = b; px < l.Pw; px += g.StrideW) dst[px] = row[qc++];
                }
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

    /// <summary>The adjoint of <see cref="Deinterleave"/>: dst[2q] = even[q], dst[2q + 1] = odd[q].</summary>
    private static void Interleave(ReadOnlySpan<float> even, ReadOnlySpan<float> odd, Span<float> dst)
    {
        int px = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
            ref float re = ref Unsafe.AsRef(in even[0]);
            ref float ro = ref Unsafe.AsRef(in odd[0]);
            for (; px + 16 <= dst.Length; px += 16)
            {
                var e = Vector256.LoadUnsafe(ref re, (nuint)(px / 2));
                var o = Vector256.LoadUnsafe(ref ro, (nuint)(px / 2));
                Vector256.Shuffle(Vector256.Create(e.GetLower(), o.GetLower()), order).StoreUnsafe(ref dst[px]);
                Vector256.Shuffle(Vector256.Create(e.GetUpper(), o.GetUpper()), order).StoreUnsafe(ref dst[px + 8]);
            }
        }
        for (; px < dst.Length; px++) dst[px] = px % 2 == 0 ? even[px / 2] : odd[px / 2];
    }
}
