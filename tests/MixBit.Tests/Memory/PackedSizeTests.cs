using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

public class PackedSizeTests
{
    [Theory]
    [InlineData(9, 2, 3)]    // 18 bits -> 2.25 bytes -> 3
    [InlineData(9, 4, 5)]    // 36 bits -> 4.5 -> 5
    [InlineData(1, 2, 1)]    // one 2-bit value still takes a byte
    [InlineData(3, 2, 1)]    // 6 bits
    [InlineData(5, 2, 2)]    // 10 bits
    [InlineData(7, 4, 4)]    // 28 bits -> 3.5 -> 4
    [InlineData(13, 2, 4)]   // 26 bits -> 3.25 -> 4
    [InlineData(27, 4, 14)]  // a 3x3 depthwise kernel over 3 channels: 108 bits -> 13.5 -> 14
    [InlineData(27, 2, 7)]   // 54 bits -> 6.75 -> 7
    [InlineData(0, 2, 0)]
    [InlineData(8, 8, 8)]
    public void Packed_bytes_round_up_to_a_whole_byte(long elements, int bits, long bytes)
        => Assert.Equal(bytes, PackedSize.Bytes(elements, bits));

    [Fact]
    public void Odd_weight_counts_are_packed_per_tensor_in_the_plan()
    {
        // dw has 27 weights: 27*2 = 54 bits -> 7 bytes at 2 bits; fc has 15 weights: 15*4 = 60 bits -> 8 bytes at 4 bits.
        var g = MemoryTestModels.ThreeLayer();
        var cost = DeploymentPlan.Build(g).Price(BitPolicy.Uniform(g, 8, 8).With("dw", 2, 8).With("fc", 4, 8));
        Assert.Equal(7, cost.Op("dw").WeightBytes);
        Assert.Equal(8, cost.Op("fc").WeightBytes);
        // gap output: 3 values at the dw's 2 bits would be 6 bits; here dw outputs 8 bits -> 3 bytes.
        Assert.Equal(3, cost.TensorBytes(cost.Plan.Op("gap").Output));
    }
}
