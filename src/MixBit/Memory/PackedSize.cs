namespace MixBit.Memory;

/// <summary>
/// Bytes of a tensor stored packed: sub-byte values share bytes (two 4-bit or four 2-bit values per byte), the
/// tensor as a whole is padded to a byte. Packed bytes of n elements at b bits = ceil(n * b / 8).
/// </summary>
public static class PackedSize
{
    public static long Bytes(long elements, int bits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bits);
        return checked(elements * bits + 7) / 8;
    }
}
