using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Max or average pooling per (image, channel) plane, parallel over planes. Forward is separable: each output row first
/// reduces its window's input rows column by column, then slides a kW-wide reduction along the padded row (both vectorised
/// along the row) and picks every StrideW-th result, O(kH + kW) per output. Average divides by the window area (CountIncludePad) or by the in-bounds
/// count. Max backward sends each output's gradient to the first element of its window (row-major) equal to the output,
/// found again from the kept input, so the forward records nothing.
/// </summary>
public sealed class Pool2dLayer(Pool2dSpec spec) : Layer
{
    private readonly float[][] _rows = NewWorkerBuffers();
    private Tensor _input = null!;

    public Pool2dSpec Spec => spec;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = _input = inputs[0];
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        var o = spec.OutputShape([new ActivationShape(c, h, w)]);
        EnsureShape(Output, n, c, o.Height, o.Width);
        int outPlane = o.Height * o.Width;
        bool max = spec.Kind == PoolKind.Max;
        // A padded row: PadLeft pad values, the w reduced columns, pad values up to the last window's end.
        int padded = Math.Max((o.Width - 1) * spec.StrideW + spec.KernelW, spec.PadLeft + w), slides = (o.Width - 1) * spec.StrideW + 1;
        float pad = max ? float.NegativeInfinity : 0f;

        Workers.Share(n * c, (long)h * w, (start, end, worker) =>
        {
            var buffer = Scratch(_rows, worker, padded + slides);
            var row = buffer.AsSpan(0, padded);
            var slide = buffer.AsSpan(padded, slides);
            row.Fill(pad);
            for (int p = start; p < end; p++)
            {
                var src = x.Data.AsSpan(p * h * w, h * w);
                var dst = Output.Data.AsSpan(p * outPlane, outPlane);
                for (int oy = 0; oy < o.Height; oy++)
                {
                    var (y0, y1, _, _) = Window(oy, 0, h, w);
                    Reduce(src[(y0 * w)..], w, y1 - y0, max, row.Slice(spec.PadLeft, w));
                    Reduce(row, 1, spec.KernelW, max, slide);
                    for (int ox = 0; ox < o.Width; ox++)
                    {
                        float v = slide[ox * spec.StrideW];
                        if (!max)
                        {
                            var (_, _, x0, x1) = Window(oy, ox, h, w);
                            v /= Divisor(y0, y1, x0, x1);
                        }
                        dst[oy * o.Width + ox] = v;
                    }
                }
            }
        });
        return Output;
    }

    /// <summary>
    /// d[i] = max (or sum) over t &lt; k of s[i + t*step], eight outputs at a time: down the window's rows (step = w) and
    /// along a padded row (step = 1).
    /// </summary>
    private static void Reduce(ReadOnlySpan<float> s, int step, int k, bool max, Span<float> d)
    {
        _ = s[d.Length - 1 + (k - 1) * step];
        ref float rs = ref MemoryMarshal.GetReference(s);
        ref float rd = ref MemoryMarshal.GetReference(d);
        int i = 0;
        for (; i + 8 <= d.Length; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref rs, (nuint)i);
            for (int t = 1; t < k; t++)
            {
                var u = Vector256.LoadUnsafe(ref rs, (nuint)(i + t * step));
                v = max ? Vector256.MaxNative(u, v) : v + u;
            }
            v.StoreUnsafe(ref rd, (nuint)i);
        }
        for (; i < d.Length; i++)
        {
            float v = Unsafe.Add(ref rs, i);
            for (int t = 1; t < k; t++)
            {
                float u = Unsafe.Add(ref rs, i + t * step);
                v = max ? (u > v ? u : v) : v + u;
            }
            Unsafe.Add(ref rd, i) = v;
        }
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, _input);
        int n = _input.Dim(0), c = _input.Dim(1), h = _input.Dim(2), w = _input.Dim(3);
        int oh = outputGradient.Dim(2), ow = outputGradient.Dim(3), outPlane = oh * ow;
        Workers.Share(n * c, (long)h * w, (start, end, _) =>
        {
            for (int p = start; p < end; p++)
            {
                var d = dx.Data.AsSpan(p * h * w, h * w);
                d.Clear();
                var src = _input.Data.AsSpan(p * h * w, h * w);
                var g = outputGradient.Data.AsSpan(p * outPlane, outPlane);
                var y = Output.Data.AsSpan(p * outPlane, outPlane);
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        float gv = g[oy * ow + ox];
                        var (y0, y1, x0, x1) = Window(oy, ox, h, w);
                        if (spec.Kind == PoolKind.Max)
                        {
                            d[ArgMax(src, w, y0, y1, x0, x1, y[oy * ow + ox])] += gv;
                            continue;
                        }
                        float share = gv / Divisor(y0, y1, x0, x1);
                        for (int iy = y0; iy < y1; iy++)
                            for (int ix = x0; ix < x1; ix++) d[iy * w + ix] += share;
                    }
            }
        });
    }

    /// <summary>The first position of the window (row-major) holding <paramref name="value"/>, its maximum.</summary>
    private static int ArgMax(ReadOnlySpan<float> src, int w, int y0, int y1, int x0, int x1, float value)
    {
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++)
                if (src[iy * w + ix] == value) return iy * w + ix;
        return y0 * w + x0; // a NaN maximum: the window's first element
    }

    private (int Y0, int Y1, int X0, int X1) Window(int oy, int ox, int h, int w)
    {
        int y0 = oy * spec.StrideH - spec.PadTop, x0 = ox * spec.StrideW - spec.PadLeft;
        return (Math.Max(y0, 0), Math.Min(y0 + spec.KernelH, h), Math.Max(x0, 0), Math.Min(x0 + spec.KernelW, w));
    }

    private float Divisor(int y0, int y1, int x0, int x1)
        => spec.CountIncludePad ? spec.KernelH * spec.KernelW : (y1 - y0) * (x1 - x0);
}
