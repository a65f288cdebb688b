using MixBit.Quantization;
using MixBit.Tensors;
using MixBit.Tests.Nn;

namespace MixBit.Tests.Quantization;

/// <summary>
/// The STE/PACT backward is the gradient of the clip function the quantizer approximates. At 16 bits the grid is fine
/// enough (step 1.5e-5 of alpha) for central differences with eps = 0.01 to measure that gradient, provided no input
/// lies within eps of a threshold (0, -alpha, alpha).
/// </summary>
public class QuantizerGradientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pact_gradients_match_finite_differences_away_from_the_thresholds(bool signed)
    {
        var q = new ActivationQuantizer("act", 16, signed) { Alpha = 0.6f };
        var layer = new FakeQuantLayer(new IdentityLayer(), 1, null, q);
        var x = AwayFromThresholds(GradientChecker.Random(3, 2, 3, 4, 4), 0.6f);
        GradientChecker.Check(layer, [x], eps: 1e-2f, absTol: 3e-3f);
    }

    [Fact]
    public void Low_bit_backward_is_the_masked_gradient_and_alpha_collects_the_clipped_part()
    {
        var q = new ActivationQuantizer("act", 4, signed: false) { Alpha = 1f };
        var x = new Tensor([-0.5f, 0.2f, 0.99f, 1.5f, 3f], 1, 5, 1, 1);
        var y = new Tensor(0);
        q.Forward(x, y);
        Assert.Equal([0f, 0.2f, 1f, 1f, 1f], y.Span.ToArray().Select(v => MathF.Round(v, 1)));
        var dy = new Tensor([1f, 2f, 3f, 4f, 5f], 1, 5, 1, 1);
        var dx = new Tensor(0);
        q.Parameter!.Gradient.Clear();
        q.Backward(x, y, dy, dx);
        // dy/dx = 1 inside [0, alpha]; dy/dalpha = 1 where x >= alpha (PACT).
        Assert.Equal([0f, 2f, 3f, 0f, 0f], dx.Span.ToArray());
        Assert.Equal(4f + 5f, q.Parameter.Gradient.Data[0], 5);
    }

    [Fact]
    public void Weight_gradient_passes_straight_through_and_is_masked_where_clamped()
    {
        var opts = new QuantizationOptions { WeightRange = RangeMethod.Mse };
        // 1,000 weights in [-1, 1] and one outlier at 3: the 2-bit MSE range clips the outlier.
        var rng = new Random(2);
        var w = Enumerable.Range(0, 1000).Select(_ => (float)(rng.NextDouble() * 2 - 1)).Append(3f).ToArray();
        var wq = new WeightQuantizer(2, opts with { PerChannelWeights = false });
        var output = new float[w.Length];
        var mask = new float[w.Length];
        float high = wq.Quantize(w, 1, output, mask)[0].High;
        Assert.True(high < 3f);
        Assert.Equal(0f, mask[^1]);
        for (int i = 0; i < w.Length; i++) Assert.Equal(MathF.Abs(w[i]) <= high ? 1f : 0f, mask[i]);
        Assert.True(mask.Sum() > 500);
    }

    private static Tensor AwayFromThresholds(Tensor x, float alpha)
    {
        float[] thresholds = [0f, alpha, -alpha];
        var s = x.Span;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] *= 1.5f;
            foreach (float t in thresholds)
                if (MathF.Abs(s[i] - t) < 0.05f) s[i] = t + (s[i] >= t ? 0.07f : -0.07f);
        }
        return x;
    }
}
