using MixBit.Nn.Specs;

namespace MixBit.Nn.Layers;

/// <summary>The spatial numbers of one convolution call, computed once per batch.</summary>
internal readonly record struct ConvGeometry(
    int InH, int InW, int OutH, int OutW, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW)
{
    public ConvGeometry(Conv2dSpec s, int inH, int inW, int outH, int outW)
        : this(inH, inW, outH, outW, s.KernelH, s.KernelW, s.StrideH, s.StrideW, s.PadTop, s.PadLeft, s.DilationH, s.DilationW) { }

    /// <summary>
    /// Output columns [lo, hi) for which input column ox*StrideW - PadLeft + kx*DilationW lies inside [0, InW).
    /// </summary>
    public (int Lo, int Hi) ValidColumns(int kx)
    {
        int off = kx * DilationW - PadLeft;
        int lo = off >= 0 ? 0 : (-off + StrideW - 1) / StrideW;
        int hi = InW - off <= 0 ? 0 : (InW - off - 1) / StrideW + 1;
        return (lo, Math.Min(hi, OutW));
    }
}
