using MixBit.Nn.Specs;

namespace MixBit.Integer;

/// <summary>
/// The spatial window of a convolution or pool on an NHWC map: kernel, stride, padding (top, left, bottom, right) and
/// dilation. Output size per axis: floor((in + padBegin + padEnd - dilation * (k - 1) - 1) / stride) + 1. Input row of
/// output row oy and kernel row ky: oy * StrideH - PadTop + ky * DilationH (out of bounds: a padded tap).
/// </summary>
public sealed record KernelWindow(int KernelH, int KernelW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH = 1, int DilationW = 1)
{
    public int Taps => KernelH * KernelW;

    public bool HasPadding => PadTop != 0 || PadLeft != 0 || PadBottom != 0 || PadRight != 0;

    public static KernelWindow Of(Conv2dSpec c) => new(c.KernelH, c.KernelW, c.StrideH, c.StrideW,
        c.PadTop, c.PadLeft, c.PadBottom, c.PadRight, c.DilationH, c.DilationW);

    public static KernelWindow Of(Pool2dSpec p) => new(p.KernelH, p.KernelW, p.StrideH, p.StrideW,
        p.PadTop, p.PadLeft, p.PadBottom, p.PadRight);

    /// <summary>The whole map as one window (global average pool).</summary>
    public static KernelWindow Whole(int height, int width) => new(height, width, 1, 1, 0, 0, 0, 0);

    /// <summary>
    /// Kernel taps [lo, hi) along one axis whose input coordinate o * stride - pad + k * dilation lies in [0, size).
    /// </summary>
    public static (int Lo, int Hi) ValidTaps(int o, int stride, int pad, int dilation, int kernel, int size)
    {
        int start = o * stride - pad;
        int lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int hi = size - start <= 0 ? 0 : Math.Min(kernel, (size - start - 1) / dilation + 1);
        return (lo, Math.Max(lo, hi));
    }
}
