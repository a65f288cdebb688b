using MixBit.Quantization;

namespace MixBit.Tests.Quantization;

public class UniformQuantizerTests
{
    public static TheoryData<int> Bits => new() { 2, 4, 8 };

    [Theory, MemberData(nameof(Bits))]
    public void Values_on_the_grid_are_unchanged(int bits)
    {
        foreach (var q in Grids(bits))
            for (int code = q.QMin; code <= q.QMax; code++)
            {
                float x = q.Dequantize(code);
                Assert.Equal(x, q.FakeQuantize(x));
                var y = new float[1];
                q.FakeQuantize([x], y);
                Assert.Equal(x, y[0], 6);
            }
    }

    [Theory, MemberData(nameof(Bits))]
    public void Values_outside_the_range_clamp_to_its_ends(int bits)
    {
        foreach (var q in Grids(bits))
        {
            Assert.Equal(q.High, q.FakeQuantize(q.High + 10 * q.Scale), 6);
            Assert.Equal(q.Low, q.FakeQuantize(q.Low - 10 * q.Scale), 6);
            Assert.Equal(q.High, q.FakeQuantize(1e9f), 6);
            Assert.Equal(q.Low, q.FakeQuantize(-1e9f), 6);
        }
    }

    [Theory, MemberData(nameof(Bits))]
    public void A_dense_sweep_hits_exactly_two_to_the_bits_levels(int bits)
    {
        var sweep = Enumerable.Range(0, 20001).Select(i => -3f + 6f * i / 20000).ToArray();
        var y = new float[sweep.Length];
        UniformQuantizer.Unsigned(bits, 2f).FakeQuantize(sweep, y);
        Assert.Equal(1 << bits, y.Distinct().Count());
        UniformQuantizer.Asymmetric(bits, -1.3f, 2.1f).FakeQuantize(sweep, y);
        Assert.Equal(1 << bits, y.Distinct().Count());
        UniformQuantizer.Symmetric(bits, 2f, narrowRange: false).FakeQuantize(sweep, y);
        Assert.Equal(1 << bits, y.Distinct().Count());
        // Narrow range drops the most negative code so the grid is symmetric (2-bit: ternary).
        UniformQuantizer.Symmetric(bits, 2f).FakeQuantize(sweep, y);
        Assert.Equal((1 << bits) - 1, y.Distinct().Count());
    }

    [Fact]
    public void Asymmetric_grid_represents_zero_exactly_and_covers_its_range()
    {
        var q = UniformQuantizer.Asymmetric(8, -0.81f, 2.02f);
        Assert.Equal(0f, q.FakeQuantize(0f));
        Assert.True(q.Low <= -0.81f + q.Scale && q.High >= 2.02f - q.Scale);
    }

    private static UniformQuantizer[] Grids(int bits) =>
    [
        UniformQuantizer.Unsigned(bits, 1.7f),
        UniformQuantizer.Symmetric(bits, 0.9f),
        UniformQuantizer.Symmetric(bits, 0.9f, narrowRange: false),
        UniformQuantizer.Asymmetric(bits, -0.4f, 1.3f),
    ];
}
