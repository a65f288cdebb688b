using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MixBit.Integer;

/// <summary>
/// A positive real multiplier M stored as an int32 M0 and a shift n, M ~= M0 * 2^-n, with 2^30 &lt;= M0 &lt; 2^31 and
/// 1 &lt;= n &lt;= 62 (or M0 = 0 when M &lt; 2^-32), and the one rounding rule of the integer model (docs/INTEGER.md):
/// <c>requantize(acc) = (int32)(((int64)acc * M0 + 2^(n-1)) &gt;&gt; n)</c>, rounding half up, once. With |acc| &lt; 2^31 and
/// M0 &lt; 2^31 the product is below 2^62 and the sum below 2^63: no int64 overflow. This file is the only place where a
/// real multiplier becomes (M0, n) and where an accumulator is rounded; the C runtime mirrors <see cref="Requantize(int)"/>.
/// </summary>
public readonly record struct FixedPointMultiplier(int M0, int Shift)
{
    public const int MinShift = 1;
    public const int MaxShift = 62;

    /// <summary>Multipliers at or above 2^30 are refused (n would drop below 1).</summary>
    public const double Limit = 1 << 30;

    /// <summary>M0 * 2^-n as a double (exact: M0 has 31 significant bits).</summary>
    public double Real => M0 * Math.Pow(2, -Shift);

    /// <summary>
    /// (M0, n) of <paramref name="multiplier"/>: with M = f * 2^e, f in [0.5, 1), M0 = round(f * 2^31) and n = 31 - e
    /// (when the rounding reaches 2^31, M0 = 2^30 and n - 1). The relative error is at most 2^-31.
    /// </summary>
    public static FixedPointMultiplier FromReal(double multiplier)
    {
        if (!(multiplier > 0) || !double.IsFinite(multiplier))
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "A requantization multiplier must be positive and finite.");
        if (multiplier >= Limit)
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "A requantization multiplier must be below 2^30.");
        int exponent = Math.ILogB(multiplier) + 1; // multiplier = f * 2^exponent, f in [0.5, 1)
        long m0 = (long)Math.Round(Math.ScaleB(multiplier, 31 - exponent), MidpointRounding.AwayFromZero);
        int shift = 31 - exponent;
        if (m0 == 1L << 31) { m0 >>= 1; shift--; }
        return shift > MaxShift ? new FixedPointMultiplier(0, MaxShift) : new FixedPointMultiplier((int)m0, shift);
    }

    /// <summary>
    /// The multipliers of a sum of two terms with one shared shift, so the sum is rounded once (Add): the larger
    /// multiplier sets n as in <see cref="FromReal"/>, the smaller is round(M * 2^n) with the same n (its M0 may be below 2^30).
    /// </summary>
    public static (int A, int B, int Shift) SharedShift(double a, double b)
    {
        var larger = FromReal(Math.Max(a, b));
        long Scaled(double m) => (long)Math.Round(Math.ScaleB(m, larger.Shift), MidpointRounding.AwayFromZero);
        int m0A = larger.M0 == 0 ? 0 : (int)Math.Min(Scaled(a), larger.M0);
        int m0B = larger.M0 == 0 ? 0 : (int)Math.Min(Scaled(b), larger.M0);
        return (m0A, m0B, larger.Shift);
    }

    /// <summary>requantize(acc, M0, n) = (int32)(((int64)acc * M0 + 2^(n-1)) &gt;&gt; n), an arithmetic shift.</summary>
    public int Requantize(int acc) => Requantize(acc, M0, Shift);

    /// <inheritdoc cref="Requantize(int)"/>
    public static int Requantize(int acc, int m0, int shift) => (int)(((long)acc * m0 + (1L << (shift - 1))) >> shift);

    /// <summary>
    /// The Add rule's rounding: (int32)(((int64)a * m0A + (int64)b * m0B + 2^(n-1)) &gt;&gt; n). With |a|, |b| &lt; 2^9 (an
    /// 8-bit code plus an 8-bit offset) and M0 &lt; 2^31 the sum stays below 2^41.
    /// </summary>
    public static int RequantizeSum(int a, int m0A, int b, int m0B, int shift)
        => (int)(((long)a * m0A + (long)b * m0B + (1L << (shift - 1))) >> shift);

    /// <summary>
    /// <see cref="Requantize(int)"/> of 8 int32 lanes at once (AVX2), one multiplier per lane, bit for bit the same rule.
    /// AVX2 has no 64-bit arithmetic shift, so with p = acc * M0 (|p| &lt; 2^62) it shifts u = p + 2^(n-1) + 2^62 &gt;= 0
    /// logically: floor(u / 2^n) = floor((p + 2^(n-1)) / 2^n) + 2^(62-n) exactly, since 2^n divides 2^62 (n &lt;= 62),
    /// and subtracts 2^(62-n). u &lt; 2^63 + 2^61 fits an unsigned 64-bit lane.
    /// </summary>
    public readonly struct Lanes
    {
        public const int Count = 8;

        private readonly Vector256<int> _m0;
        private readonly Vector256<long> _addEven, _addOdd, _subEven, _subOdd;
        private readonly Vector256<ulong> _shiftEven, _shiftOdd;

        /// <param name="multipliers">Up to 8 multipliers; missing lanes get M0 = 0 (result 0).</param>
        public Lanes(ReadOnlySpan<FixedPointMultiplier> multipliers)
        {
            Span<int> m0 = stackalloc int[Count];
            Span<long> add = stackalloc long[Count], sub = stackalloc long[Count];
            Span<ulong> shift = stackalloc ulong[Count];
            for (int i = 0; i < Count; i++)
            {
                var m = i < multipliers.Length ? multipliers[i] : new FixedPointMultiplier(0, MaxShift);
                m0[i] = m.M0;
                shift[i] = (ulong)m.Shift;
                add[i] = (1L << (m.Shift - 1)) + (1L << 62);
                sub[i] = 1L << (62 - m.Shift);
            }
            _m0 = Vector256.Create<int>(m0);
            (_addEven, _addOdd) = (Vector256.Create(add[0], add[2], add[4], add[6]), Vector256.Create(add[1], add[3], add[5], add[7]));
            (_subEven, _subOdd) = (Vector256.Create(sub[0], sub[2], sub[4], sub[6]), Vector256.Create(sub[1], sub[3], sub[5], sub[7]));
            (_shiftEven, _shiftOdd) = (Vector256.Create(shift[0], shift[2], shift[4], shift[6]), Vector256.Create(shift[1], shift[3], shift[5], shift[7]));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Requantize(Vector256<int> acc)
        {
            // vpmuldq multiplies the even int32 lanes into int64; the odd lanes are moved down by 32 bits first.
            var even = Avx2.Multiply(acc, _m0);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Avx2.ShiftRightLogical(_m0.AsInt64(), 32).AsInt32());
            even = Avx2.ShiftRightLogicalVariable((even + _addEven).AsUInt64(), _shiftEven).AsInt64() - _subEven;
            odd = Avx2.ShiftRightLogicalVariable((odd + _addOdd).AsUInt64(), _shiftOdd).AsInt64() - _subOdd;
            return Avx2.Blend(even.AsInt32(), Avx2.ShiftLeftLogical(odd, 32).AsInt32(), 0b1010_1010);
        }
    }
}
