namespace MixBit.Integer;

/// <summary>
/// One activation tensor of the integer model, keyed by the deployment plan's tensor id: its NHWC shape and its grid.
/// A code q means the real value Scale * (q - ZeroPoint); codes lie in [Min, Max] of the b-bit signed or unsigned range.
/// A max pool's output has its input's grid (same scale and zero point).
/// </summary>
public sealed record QuantizedTensor(int Id, string Name, int Height, int Width, int Channels, int Bits, bool Signed, double Scale, int ZeroPoint)
{
    public int Elements => checked(Height * Width * Channels);

    /// <summary>Smallest code: -2^(b-1) signed, 0 unsigned.</summary>
    public int Min => Signed ? -(1 << (Bits - 1)) : 0;

    /// <summary>Largest code: 2^(b-1) - 1 signed, 2^b - 1 unsigned.</summary>
    public int Max => Signed ? (1 << (Bits - 1)) - 1 : (1 << Bits) - 1;

    /// <summary>Largest |q - ZeroPoint| over the codes: what a kernel multiplies by at most.</summary>
    public int MaxAbsOffsetCode => Math.Max(Math.Abs(Min - ZeroPoint), Math.Abs(Max - ZeroPoint));
}
