namespace MixBit.Memory;

/// <summary>
/// What the integer runtime stores in FLASH besides the packed weights; the one place these byte counts live.
/// Weights are symmetric, so there is no weight zero point. Requantisation is out = clamp(((acc + bias) * M0) >> N0 + zp),
/// with M0 an int32 fixed-point multiplier and N0 an int8 shift.
/// </summary>
public static class DeployedParameterLayout
{
    private const int Int32Bytes = 4;
    private const int Int8Bytes = 1;

    /// <summary>Per output channel of a conv/linear layer: int32 bias + int32 multiplier + int8 shift = 9 bytes.</summary>
    public const int BytesPerOutputChannel = Int32Bytes + Int32Bytes + Int8Bytes;

    /// <summary>Per conv/linear layer: input zero point, output zero point, clamp min, clamp max, each int32 = 16 bytes.</summary>
    public const int BytesPerQuantizedLayer = 4 * Int32Bytes;

    /// <summary>Pools and global average pool: output zero point, clamp min, clamp max (3 x int32) = 12 bytes.</summary>
    public const int PoolBytes = 3 * Int32Bytes;

    /// <summary>Add: per input an int32 multiplier + int8 shift (2 x 5), then output zero point and clamp (12) = 22 bytes.</summary>
    public const int AddBytes = 2 * (Int32Bytes + Int8Bytes) + 3 * Int32Bytes;

    /// <summary>Parameter bytes of a conv/linear layer with <paramref name="outChannels"/> output channels: 9 * c_out + 16.</summary>
    public static long QuantizedLayerBytes(int outChannels) => (long)BytesPerOutputChannel * outChannels + BytesPerQuantizedLayer;
}
