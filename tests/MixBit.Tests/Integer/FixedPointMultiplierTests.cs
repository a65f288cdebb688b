using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MixBit.Integer;

namespace MixBit.Tests.Integer;

public class FixedPointMultiplierTests
{
    /// <summary>log-uniform multipliers over [2^-32, 2^30) and accumulators whose product stays in int32.</summary>
    private static IEnumerable<(double M, int Acc)> Cases(int seed, int count)
    {
        var rng = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            double m = Math.Pow(2, -32 + rng.NextDouble() * 61.99);
            long limit = (long)Math.Min(int.MaxValue, (int.MaxValue - 1) / m);
            int acc = (int)(rng.NextInt64(-limit, limit + 1) >> rng.Next(0, 31));
            yield return (m, acc);
        }
    }

    [Fact]
    public void Multipliers_are_normalised_and_within_two_to_the_minus_31_of_the_real_value()
    {
        foreach (var (m, _) in Cases(1, 20000))
        {
            var f = FixedPointMultiplier.FromReal(m);
            Assert.InRange(f.Shift, FixedPointMultiplier.MinShift, FixedPointMultiplier.MaxShift);
            if (f.M0 == 0) { Assert.True(m < Math.Pow(2, -32), $"{m} became 0"); continue; }
            Assert.InRange(f.M0, 1 << 30, int.MaxValue);
            Assert.True(Math.Abs(f.Real - m) <= m * Math.Pow(2, -31), $"{m}: {f}");
        }
        Assert.Equal(new FixedPointMultiplier(1 << 30, 30), FixedPointMultiplier.FromReal(1.0));
        Assert.Equal(new FixedPointMultiplier(1 << 30, 31), FixedPointMultiplier.FromReal(0.5));
        Assert.Equal(0, FixedPointMultiplier.FromReal(Math.Pow(2, -33)).M0);
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPointMultiplier.FromReal(1 << 30));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixedPointMultiplier.FromReal(0));
    }

    /// <summary>
    /// Against a float reference over random scales: within one LSB of round(acc * M); and exactly the contract's formula
    /// floor((acc * M0 + 2^(n-1)) / 2^n), computed here with unbounded integers.
    /// </summary>
    [Fact]
    public void Requantize_is_within_one_lsb_of_the_real_product_and_exactly_the_contract_formula()
    {
        foreach (var (m, acc) in Cases(2, 50000))
        {
            var f = FixedPointMultiplier.FromReal(m);
            int q = f.Requantize(acc);
            Assert.True(Math.Abs(q - Math.Round(acc * m)) <= 1, $"acc {acc} x {m}: {q}");
            var exact = BigInteger.Divide(new BigInteger(acc) * f.M0 + (BigInteger.One << (f.Shift - 1)) - FloorCorrection(acc, f), BigInteger.One << f.Shift);
            Assert.Equal(exact, new BigInteger(q));
        }
        // Rounding is half up (towards +infinity), on both sides of zero.
        var half = FixedPointMultiplier.FromReal(0.5);
        Assert.Equal([1, 2, 0, -1, -1], new[] { 1, 3, -1, -2, -3 }.Select(half.Requantize));
    }

    /// <summary>BigInteger division truncates towards zero; the contract's arithmetic shift floors. Subtracting (2^n - 1) for negative numerators turns one into the other.</summary>
    private static BigInteger FloorCorrection(int acc, FixedPointMultiplier f)
        => new BigInteger(acc) * f.M0 + (BigInteger.One << (f.Shift - 1)) < 0 ? (BigInteger.One << f.Shift) - 1 : BigInteger.Zero;

    [Fact]
    public void Avx2_lanes_give_the_scalar_results_bit_for_bit()
    {
        if (!Avx2.IsSupported) return;
        var rng = new Random(3);
        var cases = Cases(4, 8000).ToArray();
        var extremes = new[] { int.MaxValue, int.MinValue + 1, -1, 0, 1 };
        for (int i = 0; i + 8 <= cases.Length; i += 8)
        {
            var multipliers = cases[i..(i + 8)].Select(c => FixedPointMultiplier.FromReal(c.M)).ToArray();
            // Arbitrary int32 accumulators too: the rule must hold for any |acc| < 2^31 even when the result wraps.
            var acc = cases[i..(i + 8)].Select((c, k) => k % 3 == 0 ? extremes[rng.Next(extremes.Length)] : c.Acc).ToArray();
            var lanes = new FixedPointMultiplier.Lanes(multipliers).Requantize(Vector256.Create<int>(acc));
            for (int k = 0; k < 8; k++) Assert.Equal(multipliers[k].Requantize(acc[k]), lanes.GetElement(k));
        }
    }

    [Fact]
    public void Shared_shift_keeps_the_larger_multiplier_normalised_and_both_within_half_a_step()
    {
        var rng = new Random(5);
        for (int i = 0; i < 5000; i++)
        {
            double a = Math.Pow(2, -20 + rng.NextDouble() * 30), b = a * Math.Pow(2, -12 + rng.NextDouble() * 24);
            var (m0A, m0B, n) = FixedPointMultiplier.SharedShift(a, b);
            Assert.InRange(Math.Max(m0A, m0B), 1 << 30, int.MaxValue);
            Assert.True(Math.Abs(m0A - Math.ScaleB(a, n)) <= 0.5 && Math.Abs(m0B - Math.ScaleB(b, n)) <= 0.5, $"{a}, {b}: {m0A}, {m0B}, {n}");
            int x = rng.Next(-255, 256), y = rng.Next(-255, 256);
            Assert.True(Math.Abs(FixedPointMultiplier.RequantizeSum(x, m0A, y, m0B, n) - (x * a + y * b)) <= 1);
        }
    }
}
