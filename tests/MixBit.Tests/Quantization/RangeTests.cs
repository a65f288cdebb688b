using MixBit.Quantization;

namespace MixBit.Tests.Quantization;

public class RangeTests
{
    [Fact]
    public void Per_channel_scales_beat_one_scale_when_channels_differ_in_scale()
    {
        // Channel 0 spans +-1, channel 1 +-0.01: one 4-bit grid for both rounds channel 1 to zero.
        var rng = new Random(5);
        var w = new float[2 * 64];
        for (int i = 0; i < 64; i++) { w[i] = (float)(rng.NextDouble() * 2 - 1); w[64 + i] = (float)(rng.NextDouble() * 2 - 1) * 0.01f; }
        var (allC, smallC) = Error(w, new QuantizationOptions { PerChannelWeights = true });
        var (allT, smallT) = Error(w, new QuantizationOptions { PerChannelWeights = false });
        Assert.True(allC <= allT, $"total: per-channel {allC:G4} vs per-tensor {allT:G4}");
        Assert.True(smallC < smallT / 100, $"small channel: per-channel {smallC:G4} vs per-tensor {smallT:G4}");

        static (double All, double Small) Error(float[] w, QuantizationOptions o)
        {
            var y = new float[w.Length];
            new WeightQuantizer(4, o).Quantize(w, 2, y, []);
            return (SquaredError(w, y), SquaredError(w[64..], y[64..]));
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Mse_clipping_has_no_more_error_than_min_max_on_a_heavy_tailed_tensor(int bits)
    {
        var x = HeavyTailed(20000, seed: bits);
        var observer = new ActivationObserver();
        observer.Add(x);
        foreach (bool signed in new[] { false, true })
        {
            var values = signed ? x : x.Select(v => MathF.Max(v, 0f)).ToArray();
            var obs = new ActivationObserver();
            obs.Add(values);
            double Err(RangeMethod m)
            {
                float c = obs.Range(m, bits, signed, 99.99);
                var grid = signed ? UniformQuantizer.Symmetric(bits, c, narrowRange: false) : UniformQuantizer.Unsigned(bits, c);
                return grid.SquaredError(values);
            }
            Assert.True(Err(RangeMethod.Mse) <= Err(RangeMethod.MinMax), $"{bits}-bit signed={signed}");
        }
        // Weights: the MSE ratio search never loses to min/max either.
        var wq = new WeightQuantizer(bits, new QuantizationOptions { WeightRange = RangeMethod.Mse, PerChannelWeights = false });
        var wm = new WeightQuantizer(bits, new QuantizationOptions { PerChannelWeights = false });
        var a = new float[x.Length];
        var b = new float[x.Length];
        wq.Quantize(x, 1, a, []);
        wm.Quantize(x, 1, b, []);
        Assert.True(SquaredError(x, a) <= SquaredError(x, b));
    }

    [Fact]
    public void Percentile_clips_rare_outliers_and_min_max_keeps_them()
    {
        var x = Enumerable.Range(0, 100000).Select(i => (i % 1000) / 1000f).ToArray();
        x[17] = 50f;
        var obs = new ActivationObserver();
        obs.Add(x);
        Assert.Equal(50f, obs.Range(RangeMethod.MinMax, 8, false, 99.99));
        Assert.InRange(obs.Range(RangeMethod.Percentile, 8, false, 99.99), 0.9f, 1.01f);
    }

    [Fact]
    public void KMeans_codebook_has_at_most_two_to_the_bits_values_and_fits_a_bimodal_tensor_better_than_a_uniform_grid()
    {
        var rng = new Random(9);
        var w = Enumerable.Range(0, 4000).Select(i => (float)((i % 2 == 0 ? -0.5 : 0.5) + 0.02 * (rng.NextDouble() - 0.5))).ToArray();
        w[0] = 1.5f;
        var k = new float[w.Length];
        var codebook = KMeansQuantizer.Quantize(w, 2, k);
        Assert.True(codebook.Length == 4 && k.Distinct().Count() <= 4);
        var u = new float[w.Length];
        new WeightQuantizer(2, new QuantizationOptions { PerChannelWeights = false }).Quantize(w, 1, u, []);
        Assert.True(SquaredError(w, k) < SquaredError(w, u));
    }

    private static double SquaredError(float[] x, float[] y) => x.Zip(y).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second));

    /// <summary>Laplace samples (scale 1) with a few large outliers.</summary>
    private static float[] HeavyTailed(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u = rng.NextDouble() - 0.5;
            x[i] = (float)(-Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)));
        }
        for (int i = 0; i < 5; i++) x[rng.Next(n)] = 40f * (i % 2 == 0 ? 1 : -1);
        return x;
    }
}
