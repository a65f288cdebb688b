using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// A convolution whose input map is smaller than its kernel (a 3x3 convolution on 2x2 maps: ResNet-18's last stage at
/// 64x64) as one dense product over the batch: y[n, (co, p)] = sum over (ci, q) of x[n, (ci, q)] * U[(ci, q), (co, p)],
/// where U is the convolution unrolled, U[(ci, q), (co, p)] = W[co, ci, tap] for the tap that carries input position q
/// to output position p, zero where none does. That is C_in * H_in * W_in multiply-adds per output against im2col's
/// C_in * kH * kW, most of which multiply zero padding (2.25x as many on 2x2 maps), and no column matrix. U holds
/// H_in W_in H_out W_out / (kH kW) times as many floats as W (16/9 on 2x2 maps) and is read once per call, so at small
/// batches, where the product streams its weights, im2col stays. Making U is memory bound (16.8 MB for a 512-channel
/// layer on 2x2 maps, 10-14 ms, about what it saves), so it is made once per frozen period (an inference session,
/// <see cref="Network.ParametersFrozen"/>) and training keeps im2col. The rule is the shape's and the period's alone
/// (<see cref="Prefers"/>).
/// The sums run over (ci, q) where im2col's run over (ci, tap): the same products in another order, so the last bits
/// may differ from the im2col path's (both are checked against a direct convolution).
/// </summary>
internal static class UnrolledConv
{
    /// <summary>Images from which the product is compute bound: below, streaming U (larger than W) costs more than it saves.</summary>
    private const int MinImages = 8;

    /// <summary>The largest U kept (64 MB).</summary>
    private const long MaxLength = 1 << 24;

    public static bool Prefers(Conv2dSpec spec, in ConvGeometry g, int images, bool frozen)
        => frozen && spec.Groups == 1 && images >= MinImages && g.InH * g.InW < spec.KernelH * spec.KernelW && Length(spec, g) <= MaxLength;

    /// <summary>Floats of U: (C_in * H_in * W_in) x (C_out * H_out * W_out).</summary>
    public static long Length(Conv2dSpec spec, in ConvGeometry g) => (long)spec.InChannels * g.InH * g.InW * spec.OutChannels * g.OutH * g.OutW;

    /// <summary>
    /// U from the weights [C_out, C_in, kH, kW], row-major (C_in * H_in * W_in) x (C_out * H_out * W_out); parallel over
    /// blocks of 16 input channels. Within a block the output channels run in order: the weights are read front to back
    /// (one output channel's taps of 16 input channels are adjacent) and each of the block's rows of U is written front to
    /// back (one input channel at a time missed the cache on every weight: 18 ms for ResNet-18's 512-channel layers).
    /// </summary>
    public static void Unroll(Conv2dSpec spec, in ConvGeometry g, float[] weight, float[] u)
    {
        int inHw = g.InH * g.InW, outHw = g.OutH * g.OutW, cols = spec.OutChannels * outHw, taps = spec.KernelH * spec.KernelW;
        int cin = spec.InChannels, perOut = cin * taps, cout = spec.OutChannels, blocks = (cin + ChannelBlock - 1) / ChannelBlock;
        // The (input position, output position, tap) triples that carry a weight; every other entry of U is zero.
        var links = new List<(int Q, int P, int Tap)>();
        for (int q = 0; q < inHw; q++)
            for (int p = 0; p < outHw; p++)
                if (Tap(g, q, p) is var tap and >= 0) links.Add((q, p, tap));
        var carried = links.ToArray();
        bool complete = carried.Length == inHw * outHw; // every entry of U carries a weight: no zeros to write first
        Workers.Share(blocks, (long)ChannelBlock * inHw * cols, (b0, b1, _) =>
        {
            for (int b = b0; b < b1; b++)
            {
                int c0 = b * ChannelBlock, c1 = Math.Min(cin, c0 + ChannelBlock);
                if (!complete) u.AsSpan(c0 * inHw * cols, (c1 - c0) * inHw * cols).Clear();
                for (int co = 0; co < cout; co++)
                    for (int ci = c0; ci < c1; ci++)
                    {
                        int rows = ci * inHw * cols + co * outHw, w = co * perOut + ci * taps;
                        foreach (var (q, p, tap) in carried) u[rows + q * cols + p] = weight[w + tap];
                    }
            }
        });
    }

    private const int ChannelBlock = 16;

    /// <summary>The kernel tap ky * kW + kx that reads input position q for output position p, or -1.</summary>
    private static int Tap(in ConvGeometry g, int q, int p)
    {
        int dy = q / g.InW - (p / g.OutW * g.StrideH - g.PadTop), dx = q % g.InW - (p % g.OutW * g.StrideW - g.PadLeft);
        if (dy < 0 || dx < 0 || dy % g.DilationH != 0 || dx % g.DilationW != 0) return -1;
        int ky = dy / g.DilationH, kx = dx / g.DilationW;
        return ky < g.KernelH && kx < g.KernelW ? ky * g.KernelW + kx : -1;
    }

    /// <summary>y = x U over the batch: one product (images x inputs times inputs x outputs); the caller applies bias and clamp.</summary>
    public static void Forward(Conv2dSpec spec, in ConvGeometry g, Tensor x, float[] u, Tensor y)
    {
        int n = x.Dim(0), k = spec.InChannels * g.InH * g.InW, cols = spec.OutChannels * g.OutH * g.OutW;
        Gemm.Multiply(n, cols, k, 1f, MatrixView.RowMajor(x.Data, k), MatrixView.RowMajor(u, cols), 0f, MatrixView.RowMajor(y.Data, cols));
    }
}
