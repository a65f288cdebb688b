namespace MixBit.Search.Ddpg;

/// <summary>Samples of a normal distribution truncated to [low, high], by rejection (Box-Muller draws), as HAQ explores.</summary>
public static class TruncatedNormal
{
    public static double Sample(SearchRandom rng, double mean, double sigma, double low = 0, double high = 1)
    {
        if (sigma <= 0) return Math.Clamp(mean, low, high);
        // The mean lies in [low, high], so at least ~16% of draws are accepted even for large sigma.
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            double x = mean + sigma * z;
            if (x >= low && x <= high) return x;
        }
        return Math.Clamp(mean, low, high);
    }
}
