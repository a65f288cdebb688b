using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MixBit.Nn.Layers;

/// <summary>
/// Depthwise convolution for one image, channel c reading only input channel c:
/// y[c, oy, ox] = sum_{ky,kx} w[c, ky, kx] * x[c, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW].
/// Each channel is first copied into a zero-padded plane so the inner loops need no bounds checks; with
/// stride 1 eight outputs are computed at once (all taps accumulated in one register), otherwise scalar.
/// </summary>
internal static class DepthwiseKernels
{
    /// <summary>Floats of per-worker scratch that <see cref="Forward"/> and <see cref="Backward"/> need.</summary>
    public static int ScratchLength(in ConvGeometry g) => 2 * PaddedH(g) * PaddedW(g);

    private static int PaddedH(in ConvGeometry g) => (g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
    private static int PaddedW(in ConvGeometry g) => (g.OutW - 1) * g.StrideW + (g.KernelW - 1) * g.DilationW + 1;

    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, Span<float> scratch)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, k = g.KernelH * g.KernelW;
        int ph = PaddedH(g), pw = PaddedW(g);
        var padded = scratch[..(ph * pw)];
        int channels = y.Length / outPlane;
        for (int c = 0; c < channels; c++)
        {
            Pad(g, x.Slice(c * inPlane, inPlane), padded, ph, pw);
            var wc = w.Slice(c * k, k);
            var yc = y.Slice(c * outPlane, outPlane);
            for (int oy = 0; oy < g.OutH; oy++)
                Row(g, padded, pw, oy, wc, yc.Slice(oy * g.OutW, g.OutW));
        }
    }

    /// <summary>One output row: every tap accumulated per output element.</summary>
    private static void Row(in ConvGeometry g, ReadOnlySpan<float> p, int pw, int oy, ReadOnlySpan<float> w, Span<float> yRow)
    {
        int ox = 0;
        ref float rp = ref Unsafe.AsRef(in p[0]);
        if (g.StrideW == 1 && Vector256.IsHardwareAccelerated)
        {
            for (; ox + 8 <= g.OutW; ox += 8)
            {
                var acc = Vector256<float>.Zero;
                for (int ky = 0; ky < g.KernelH; ky++)
                {
                    int row = (oy * g.StrideH + ky * g.DilationH) * pw + ox;
                    for (int kx = 0; kx < g.KernelW; kx++)
                        acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[ky * g.KernelW + kx]),
                            Vector256.LoadUnsafe(ref rp, (nuint)(row + kx * g.DilationW)), acc);
                }
                acc.StoreUnsafe(ref yRow[ox]);
            }
        }
        for (; ox < g.OutW; ox++)
        {
            float acc = 0;
            for (int ky = 0; ky < g.KernelH; ky++)
            {
                int row = (oy * g.StrideH + ky * g.DilationH) * pw + ox * g.StrideW;
                for (int kx = 0; kx < g.KernelW; kx++) acc += w[ky * g.KernelW + kx] * p[row + kx * g.DilationW];
            }
            yRow[ox] = acc;
        }
    }

    /// <summary>Adds dL/dw into <paramref name="dW"/>; when <paramref name="needInputGrad"/>, overwrites <paramref name="dx"/> with dL/dx.</summary>
    public static void Backward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy,
        Span<float> dW, Span<float> dx, bool needInputGrad, Span<float> scratch)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, k = g.KernelH * g.KernelW;
        int ph = PaddedH(g), pw = PaddedW(g), plane = ph * pw;
        var padded = scratch[..plane];
        var dPadded = scratch.Slice(plane, plane);
        int channels = dy.Length / outPlane;
        for (int c = 0; c < channels; c++)
        {
            Pad(g, x.Slice(c * inPlane, inPlane), padded, ph, pw);
            if (needInputGrad) dPadded.Clear();
            var dyc = dy.Slice(c * outPlane, outPlane);
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    int tap = c * k + ky * g.KernelW + kx;
                    float wv = w[tap], acc = 0;
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int start = (oy * g.StrideH + ky * g.DilationH) * pw + kx * g.DilationW;
                        var grad = dyc.Slice(oy * g.OutW, g.OutW);
                        if (g.StrideW == 1)
                        {
                            acc += TensorPrimitives.Dot(grad, padded.Slice(start, g.OutW));
                            if (needInputGrad)
                            {
                                var d = dPadded.Slice(start, g.OutW);
                                TensorPrimitives.MultiplyAdd(grad, wv, d, d);
                            }
                        }
                        else
                        {
                            for (int ox = 0, i = start; ox < grad.Length; ox++, i += g.StrideW)
                            {
                                acc += grad[ox] * padded[i];
                                if (needInputGrad) dPadded[i] += wv * grad[ox];
                            }
                        }
                    }
                    dW[tap] += acc;
                }
            if (needInputGrad) Crop(g, dPadded, pw, dx.Slice(c * inPlane, inPlane));
        }
    }

    /// <summary>Copies a channel into the zero-padded plane (rows/columns beyond the input stay zero).</summary>
    private static void Pad(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> p, int ph, int pw)
    {
        p.Clear();
        for (int iy = 0; iy < g.InH; iy++)
        {
            int py = iy + g.PadTop;
            if (py >= ph) break;
            int cols = Math.Min(g.InW, pw - g.PadLeft);
            if (cols > 0) x.Slice(iy * g.InW, cols).CopyTo(p.Slice(py * pw + g.PadLeft, cols));
        }
    }

    /// <summary>The input-sized window of a padded gradient plane (the adjoint of <see cref="Pad"/>).</summary>
    private static void Crop(in ConvGeometry g, ReadOnlySpan<float> p, int pw, Span<float> dx)
    {
        int ph = p.Length / pw;
        dx.Clear();
        for (int iy = 0; iy < g.InH; iy++)
        {
            int py = iy + g.PadTop;
            if (py >= ph) break;
            int cols = Math.Min(g.InW, pw - g.PadLeft);
            if (cols > 0) p.Slice(py * pw + g.PadLeft, cols).CopyTo(dx.Slice(iy * g.InW, cols));
        }
    }
}
