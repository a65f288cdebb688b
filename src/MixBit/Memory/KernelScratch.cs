using MixBit.Nn.Specs;

namespace MixBit.Memory;

/// <summary>
/// RAM scratch a kernel of the C runtime needs besides its input and output buffers: the one C# mirror of the runtime's
/// <c>*_get_buffer_size</c> functions (runtime/src/mb_conv.c, mb_dwconv.c; docs/RUNTIME.md), which a test compiles
/// and compares. With Kp = K rounded up to 16 and Cp = C rounded up to even:
/// conv2d and pointwise 2 Kp (min(cols, out_h out_w) + 2) with K = k_h k_w c_in (pointwise: c_in) and cols =
/// <see cref="ConvColumns"/>; fully connected 2 Kp 3 with K = in_features; depthwise 8 k_h + 2 Bp k_h (W_span + k_w)
/// with W_span = (out_w - 1) stride_w + k_w and Bp = min(C, <see cref="DepthwiseChannels"/>) rounded up to even;
/// add and pools none. The sizes do not depend on the bit-widths.
/// </summary>
public static class KernelScratch
{
    /// <summary>MB_CONV_COLS of the runtime build: output pixels per im2col block.</summary>
    public const int ConvColumns = 8;

    /// <summary>MB_DW_CHANNELS of the runtime build: channels per depthwise block.</summary>
    public const int DepthwiseChannels = 32;

    public static long Bytes(DeployedOp op, int inputBits, int weightBits, int outputBits) => Bytes(op);

    public static long Bytes(DeployedOp op) => op.Spec switch
    {
        Conv2dSpec c when c.IsDepthwise => Depthwise(c, op),
        Conv2dSpec c => Conv(c.IsPointwise ? c.InChannels : (long)c.KernelH * c.KernelW * c.InChannels, Math.Min(ConvColumns, OutputPixels(op))),
        LinearSpec l => Conv(l.InFeatures, 1),
        _ => 0,
    };

    private static long Conv(long k, long columns) => 2 * RoundUp(k, 16) * (columns + 2);

    private static long Depthwise(Conv2dSpec c, DeployedOp op)
    {
        long cp = RoundUp(Math.Min(c.InChannels, DepthwiseChannels), 2);
        long outW = op.OutputShape.Width;
        long span = (outW - 1) * c.StrideW + c.KernelW;
        return 8L * c.KernelH + 2 * cp * c.KernelH * (span + c.KernelW);
    }

    private static long OutputPixels(DeployedOp op) => (long)op.OutputShape.Height * op.OutputShape.Width;

    private static long RoundUp(long x, long m) => (x + m - 1) / m * m;
}
