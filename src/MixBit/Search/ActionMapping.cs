namespace MixBit.Search;

/// <summary>
/// The agent's continuous action a in [0, 1] and the bit-widths {2, 4, 8}: three equal intervals, [0, 1/3) -> 2,
/// [1/3, 2/3) -> 4, [2/3, 1] -> 8 (HAQ maps a linearly onto every integer width; MixBit's kernels have three).
/// </summary>
public static class ActionMapping
{
    public static int ToBits(double action) => action < 1.0 / 3 ? 2 : action < 2.0 / 3 ? 4 : 8;

    /// <summary>The centre of the interval that maps to <paramref name="bits"/>: 1/6, 1/2 or 5/6.</summary>
    public static double Centre(int bits) => bits switch
    {
        2 => 1.0 / 6,
        4 => 0.5,
        8 => 5.0 / 6,
        _ => throw new ArgumentOutOfRangeException(nameof(bits), bits, "Bit-widths are 2, 4 or 8."),
    };

    /// <summary>
    /// The action to learn from once the constraint step has set the bits to <paramref name="bits"/>: the agent's own
    /// action when it maps to those bits, else the centre of their interval.
    /// </summary>
    public static double Effective(double action, int bits) => ToBits(action) == bits ? action : Centre(bits);
}
