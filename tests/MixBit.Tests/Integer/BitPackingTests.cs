using MixBit.Integer;
using MixBit.Memory;

namespace MixBit.Tests.Integer;

public class BitPackingTests
{
    [Theory]
    [InlineData(2, true)]
    [InlineData(2, false)]
    [InlineData(4, true)]
    [InlineData(4, false)]
    [InlineData(8, true)]
    [InlineData(8, false)]
    public void Every_width_round_trips_at_odd_and_even_lengths(int bits, bool signed)
    {
        var rng = new Random(bits * 2 + (signed ? 1 : 0));
        int min = signed ? -(1 << (bits - 1)) : 0, max = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        foreach (int n in new[] { 0, 1, 2, 3, 5, 7, 8, 9, 13, 31, 64, 1001 })
        {
            var values = Enumerable.Range(0, n).Select(_ => rng.Next(min, max + 1)).ToArray();
            var packed = BitPacking.Pack(values, bits, signed);
            Assert.Equal(PackedSize.Bytes(n, bits), packed.Length);
            Assert.Equal(values, BitPacking.Unpack(packed, n, bits, signed));
            var shorts = new short[n];
            BitPacking.Unpack(packed, bits, signed, shorts.AsSpan());
            Assert.Equal(values, shorts.Select(s => (int)s));
            // The unused high bits of the last byte are 0.
            int used = n * bits % 8;
            if (used != 0) Assert.Equal(0, packed[^1] >> used);
        }
    }

    [Fact]
    public void Bit_order_is_least_significant_first_with_twos_complement()
    {
        // 2-bit unsigned 1, 2, 3, 0 -> 0b00_11_10_01; then 1 alone in the next byte.
        Assert.Equal(new byte[] { 0b0011_1001, 0b01 }, BitPacking.Pack([1, 2, 3, 0, 1], 2, signed: false));
        // 4-bit signed -1, 3, -8 -> low nibble 0xF, high nibble 0x3; then 0x8.
        Assert.Equal(new byte[] { 0x3F, 0x08 }, BitPacking.Pack([-1, 3, -8], 4, signed: true));
        // 2-bit signed (ternary weights) -1, 0, 1, -2 -> 11, 00, 01, 10.
        Assert.Equal(new byte[] { 0b10_01_00_11 }, BitPacking.Pack([-1, 0, 1, -2], 2, signed: true));
        Assert.Equal(new[] { -1, 0, 1, -2 }, BitPacking.Unpack([0b10_01_00_11], 4, 2, signed: true));
    }

    [Fact]
    public void Values_outside_the_range_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacking.Pack([2], 2, signed: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacking.Pack([-1], 4, signed: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacking.Pack([256], 8, signed: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacking.Pack([1], 3, signed: false));
    }
}
