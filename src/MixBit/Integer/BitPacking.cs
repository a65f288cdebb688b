using System.Numerics;
using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>
/// Whole-tensor packing of b-bit values, b in {2, 4, 8} (docs/INTEGER.md): n values take ceil(n * b / 8) bytes
/// (<see cref="PackedSize.Bytes"/>); value k sits in bits [(k * b) mod 8, (k * b) mod 8 + b) of byte floor(k * b / 8),
/// least significant bits first, with no padding between rows and the unused high bits of the last byte 0. Signed values
/// are b-bit two's complement and sign-extended when unpacked.
/// </summary>
public static class BitPacking
{
    public static byte[] Pack(ReadOnlySpan<int> values, int bits, bool signed)
    {
        var packed = new byte[PackedSize.Bytes(values.Length, bits)];
        Pack(values, bits, signed, packed);
        return packed;
    }

    /// <summary>Packs <paramref name="values"/>; throws when one is outside the b-bit signed or unsigned range.</summary>
    public static void Pack(ReadOnlySpan<int> values, int bits, bool signed, Span<byte> packed)
    {
        CheckBits(bits);
        if (packed.Length != PackedSize.Bytes(values.Length, bits))
            throw new ArgumentException($"{values.Length} values at {bits} bits take {PackedSize.Bytes(values.Length, bits)} bytes, the buffer has {packed.Length}.", nameof(packed));
        int min = signed ? -(1 << (bits - 1)) : 0, max = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        int mask = (1 << bits) - 1, perByte = 8 / bits;
        packed.Clear();
        for (int k = 0; k < values.Length; k++)
        {
            int v = values[k];
            if (v < min || v > max)
                throw new ArgumentOutOfRangeException(nameof(values), $"Value {v} at {k} is outside the {(signed ? "signed" : "unsigned")} {bits}-bit range [{min}, {max}].");
            packed[k / perByte] |= (byte)((v & mask) << (k % perByte * bits));
        }
    }

    /// <summary>Unpacks <paramref name="values"/>.Length values from <paramref name="packed"/>.</summary>
    public static void Unpack<T>(ReadOnlySpan<byte> packed, int bits, bool signed, Span<T> values) where T : IBinaryInteger<T>
    {
        CheckBits(bits);
        if (packed.Length != PackedSize.Bytes(values.Length, bits))
            throw new ArgumentException($"{values.Length} values at {bits} bits take {PackedSize.Bytes(values.Length, bits)} bytes, the buffer has {packed.Length}.", nameof(packed));
        int mask = (1 << bits) - 1, perByte = 8 / bits, signBit = 1 << (bits - 1);
        for (int k = 0; k < values.Length; k++)
        {
            int v = (packed[k / perByte] >> (k % perByte * bits)) & mask;
            if (signed) v = (v ^ signBit) - signBit; // sign-extend the b-bit two's complement value
            values[k] = T.CreateTruncating(v);
        }
    }

    public static int[] Unpack(ReadOnlySpan<byte> packed, int count, int bits, bool signed)
    {
        var values = new int[count];
        Unpack(packed, bits, signed, values.AsSpan());
        return values;
    }

    private static void CheckBits(int bits)
    {
        if (bits is not (2 or 4 or 8)) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Packed tensors have 2, 4 or 8 bits.");
    }
}
