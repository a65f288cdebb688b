using MixBit.Data;

namespace MixBit.Tests.Data;

public class NormalizationTests
{
    [Fact]
    public void Statistics_match_a_direct_computation_per_channel()
    {
        var data = SyntheticData.Make(40, channels: 3, height: 4, width: 4);
        var norm = Normalization.FromTrainingSet(data);
        for (int c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, data.Count).SelectMany(i => data.Image(i).Slice(c * 16, 16).ToArray()).Select(b => b / 255.0).ToArray();
            double mean = values.Average();
            double std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
            Assert.Equal(mean, norm.Mean[c], 5);
            Assert.Equal(std, norm.Std[c], 5);
            // x = (b / 255 - mean) / std through the affine form.
            Assert.Equal((200 / 255.0 - mean) / std, 200 * norm.Scale(c) + norm.Offset(c), 4);
        }
    }

    [Fact]
    public void Simd_and_scalar_conversion_agree_bit_for_bit_at_every_length()
    {
        var rng = new Random(3);
        for (int n = 0; n < 200; n += 7)
        {
            var bytes = new byte[n];
            rng.NextBytes(bytes);
            var simd = new float[n];
            var scalar = new float[n];
            int done = PixelConversion.ConvertVector(bytes, simd, 0.0123f, -0.81f);
            PixelConversion.ConvertScalar(bytes.AsSpan(done), simd.AsSpan(done), 0.0123f, -0.81f);
            PixelConversion.ConvertScalar(bytes, scalar, 0.0123f, -0.81f);
            Assert.Equal(scalar, simd);
            if (System.Numerics.Vector.IsHardwareAccelerated && n >= System.Numerics.Vector<byte>.Count) Assert.True(done > 0);
        }
    }

    [Fact]
    public void Invalid_std_is_rejected()
    {
        Assert.Throws<MixBitException>(() => new Normalization([0.5f], [0f]));
        Assert.Throws<MixBitException>(() => new Normalization([0.5f, 0.5f], [1f]));
    }
}
