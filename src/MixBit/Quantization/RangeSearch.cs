namespace MixBit.Quantization;

/// <summary>
/// Chooses quantization ranges. MSE search: try clipping values c = max * k / Steps for k = Steps/5 .. Steps and keep
/// the one with the smallest squared error (Banner et al. 2019 solve the same problem analytically for a Laplace prior;
/// the grid search needs no prior).
/// </summary>
public static class RangeSearch
{
    public const int Steps = 64;

    /// <summary>Clip ratio in (0, 1] of max |x| that minimises the symmetric quantizer's squared error on <paramref name="x"/>.</summary>
    public static float SymmetricMseRatio(ReadOnlySpan<float> x, int bits, bool narrowRange, float maxAbs)
    {
        if (!(maxAbs > 0)) return 1f;
        float best = 1f;
        double bestErr = double.MaxValue;
        for (int k = Steps; k >= Steps / 5; k--)
        {
            float r = (float)k / Steps;
            double e = UniformQuantizer.Symmetric(bits, maxAbs * r, narrowRange).SquaredError(x);
            if (e < bestErr) (bestErr, best) = (e, r);
        }
        return best;
    }

    /// <summary>Unsigned grid over [0, c]: the c in (0, max] with the smallest squared error.</summary>
    public static float UnsignedMseClip(ReadOnlySpan<float> x, int bits, float max)
    {
        if (!(max > 0)) return max;
        float best = max;
        double bestErr = double.MaxValue;
        for (int k = Steps; k >= Steps / 5; k--)
        {
            float c = max * k / Steps;
            double e = UniformQuantizer.Unsigned(bits, c).SquaredError(x);
            if (e < bestErr) (bestErr, best) = (e, c);
        }
        return best;
    }

    /// <summary>Asymmetric grid over [min * r, max * r]: the ratio r with the smallest squared error.</summary>
    public static float AsymmetricMseRatio(ReadOnlySpan<float> x, int bits, float min, float max)
    {
        float best = 1f;
        double bestErr = double.MaxValue;
        for (int k = Steps; k >= Steps / 5; k--)
        {
            float r = (float)k / Steps;
            double e = UniformQuantizer.Asymmetric(bits, min * r, max * r).SquaredError(x);
            if (e < bestErr) (bestErr, best) = (e, r);
        }
        return best;
    }

    /// <summary>The <paramref name="percentile"/>-th percentile of |x| (nearest rank on a sorted copy).</summary>
    public static float AbsPercentile(ReadOnlySpan<float> x, double percentile)
    {
        if (x.IsEmpty) return 0f;
        var a = new float[x.Length];
        TensorPrimitives.Abs(x, a);
        Array.Sort(a);
        int rank = (int)Math.Ceiling(percentile / 100.0 * a.Length) - 1;
        return a[Math.Clamp(rank, 0, a.Length - 1)];
    }
}
