
namespace MixBit.Nn.Layers;

/// <summary>
/// Depthwise convolution for one image, channel c reading only input channel c:
/// y[c, oy, ox] = sum_{ky,kx} w[c, ky, kx] * x[c, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW].
/// Each (c, ky, kx, oy) is one row update over the valid output columns, vectorised when stride is 1.
/// </summary>
internal static class DepthwiseKernels
{
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, k = g.KernelH * g.KernelW;
        int channels = y.Length / outPlane;
        y.Clear();
        for (int c = 0; c < channels; c++)
        {
            var xc = x.Slice(c * inPlane, inPlane);
            var yc = y.Slice(c * outPlane, outPlane);
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    float wv = w[c * k + ky * g.KernelW + kx];
                    var (lo, hi) = g.ValidColumns(kx);
                    if (lo >= hi) continue;
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.InH) continue;
                        int ix = lo * g.StrideW - g.PadLeft + kx * g.DilationW;
                        var src = xc.Slice(iy * g.InW);
                        var dst = yc.Slice(oy * g.OutW + lo, hi - lo);
                        if (g.StrideW == 1) TensorPrimitives.MultiplyAdd(src.Slice(ix, hi - lo), wv, dst, dst);
                        else for (int o = 0; o < dst.Length; o++, ix += g.StrideW) dst[o] += wv * src[ix];
                    }
                }
        }
    }

    /// <summary>Adds dL/dw into <paramref name="dW"/>; when <paramref name="needInputGrad"/>, overwrites <paramref name="dx"/> with dL/dx.</summary>
    public static void Backward(in ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> dy,
        Span<float> dW, Span<float> dx, bool needInputGrad)
    {
        int inPlane = g.InH * g.InW, outPlane = g.OutH * g.OutW, k = g.KernelH * g.KernelW;
        int channels = dy.Length / outPlane;
        if (needInputGrad) dx[..(channels * inPlane)].Clear();
        for (int c = 0; c < channels; c++)
        {
            var xc = x.Slice(c * inPlane, inPlane);
            var dyc = dy.Slice(c * outPlane, outPlane);
            var dxc = needInputGrad ? dx.Slice(c * inPlane, inPlane) : Span<float>.Empty;
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    int wi = c * k + ky * g.KernelW + kx;
                    float wv = w[wi], acc = 0f;
                    var (lo, hi) = g.ValidColumns(kx);
                    if (lo >= hi) continue;
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.InH) continue;
                        int ix = lo * g.StrideW - g.PadLeft + kx * g.DilationW;
                        var grad = dyc.Slice(oy * g.OutW + lo, hi - lo);
                        int row = iy * g.InW;
                        if (g.StrideW == 1)
                        {
                            acc += TensorPrimitives.Dot(grad, xc.Slice(row + ix, hi - lo));
                            if (needInputGrad)
                            {
                                var d = dxc.Slice(row + ix, hi - lo);
                                TensorPrimitives.MultiplyAdd(grad, wv, d, d);
                            }
                        }
                        else
                        {
                            for (int o = 0; o < grad.Length; o++, ix += g.StrideW)
                            {
                                acc += grad[o] * xc[row + ix];
                                if (needInputGrad) dxc[row + ix] += wv * grad[o];
                            }
                        }
                    }
                    dW[wi] += acc;
                }
        }
    }
}
