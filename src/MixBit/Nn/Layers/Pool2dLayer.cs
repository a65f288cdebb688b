using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Max or average pooling per (image, channel) plane. Max remembers the arg-max of each window for backward;
/// average divides by the window area (CountIncludePad) or by the in-bounds count.
/// </summary>
public sealed class Pool2dLayer(Pool2dSpec spec) : Layer
{
    private int[] _argMax = [];
    private Tensor _input = null!;

    public Pool2dSpec Spec => spec;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = _input = inputs[0];
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        var o = spec.OutputShape([new ActivationShape(c, h, w)]);
        EnsureShape(Output, n, c, o.Height, o.Width);
        int outPlane = o.Height * o.Width;
        if (spec.Kind == PoolKind.Max && _argMax.Length < Output.Length) _argMax = new int[Output.Length];

        Workers.For(n * c, (start, end, _) =>
        {
            for (int p = start; p < end; p++)
            {
                var src = x.Data.AsSpan(p * h * w, h * w);
                var dst = Output.Data.AsSpan(p * outPlane, outPlane);
                for (int oy = 0; oy < o.Height; oy++)
                    for (int ox = 0; ox < o.Width; ox++)
                    {
                        var (y0, y1, x0, x1) = Window(oy, ox, h, w);
                        if (spec.Kind == PoolKind.Max)
                        {
                            float best = float.NegativeInfinity; int arg = -1;
                            for (int iy = y0; iy < y1; iy++)
                                for (int ix = x0; ix < x1; ix++)
                                    if (src[iy * w + ix] > best || arg < 0) { best = src[iy * w + ix]; arg = iy * w + ix; }
                            dst[oy * o.Width + ox] = best;
                            _argMax[p * outPlane + oy * o.Width + ox] = arg;
                        }
                        else
                        {
                            float sum = 0;
                            for (int iy = y0; iy < y1; iy++)
                                for (int ix = x0; ix < x1; ix++) sum += src[iy * w + ix];
                            dst[oy * o.Width + ox] = sum / Divisor(y0, y1, x0, x1);
                        }
                    }
            }
        });
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, _input);
        int n = _input.Dim(0), c = _input.Dim(1), h = _input.Dim(2), w = _input.Dim(3);
        int oh = outputGradient.Dim(2), ow = outputGradient.Dim(3), outPlane = oh * ow;
        Workers.For(n * c, (start, end, _) =>
        {
            for (int p = start; p < end; p++)
            {
                var d = dx.Data.AsSpan(p * h * w, h * w);
                d.Clear();
                var g = outputGradient.Data.AsSpan(p * outPlane, outPlane);
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float gv = g[oy * ow + ox];
                        if (spec.Kind == PoolKind.Max) { d[_argMax[p * outPlane + oy * ow + ox]] += gv; continue; }
                        var (y0, y1, x0, x1) = Window(oy, ox, h, w);
                        float share = gv / Divisor(y0, y1, x0, x1);
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) d[iy * w + ix] += share;
                    }
            }
        });
    }

    private (int Y0, int Y1, int X0, int X1) Window(int oy, int ox, int h, int w)
    {
        int y0 = oy * spec.StrideH - spec.PadTop, x0 = ox * spec.StrideW - spec.PadLeft;
        return (Math.Max(y0, 0), Math.Min(y0 + spec.KernelH, h), Math.Max(x0, 0), Math.Min(x0 + spec.KernelW, w));
    }

    private float Divisor(int y0, int y1, int x0, int x1)
        => spec.CountIncludePad ? spec.KernelH * spec.KernelW : (y1 - y0) * (x1 - x0);
}
