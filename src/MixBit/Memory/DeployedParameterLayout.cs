namespace MixBit.Memory;

/// <summary>
/// What the integer runtime stores in FLASH besides the packed weights, field by field in this order (little-endian);
/// the one place these byte counts live. The integer model writes exactly these fields
/// (<c>MixBit.Integer.DeviceParameters</c>), and a test holds the two equal. Weights are symmetric, so there is no
/// weight zero point. A real multiplier M is an int32 M0 with an int8 shift n, M ~= M0 * 2^-n (docs/INTEGER.md).
/// </summary>
public static class DeployedParameterLayout
{
    private const int Int32Bytes = 4;
    private const int Int8Bytes = 1;

    /// <summary>Per output channel of a conv/linear layer: int32 bias, int32 M0, int8 shift = 9 bytes.</summary>
    public const int BytesPerOutputChannel = Int32Bytes + Int32Bytes + Int8Bytes;

    /// <summary>Per conv/linear layer: input zero point, output zero point, clamp min, clamp max, each int32 = 16 bytes.</summary>
    public const int BytesPerQuantizedLayer = 4 * Int32Bytes;

    /// <summary>
    /// Average pool and global average pool: int32 M0 and int8 shift of M = s_in / (s_out * window), then input zero
    /// point, output zero point, clamp min, clamp max (int32 each) = 21 bytes.
    /// </summary>
    public const int AveragePoolBytes = Int32Bytes + Int8Bytes + 4 * Int32Bytes;

    /// <summary>Max pool: nothing; its output codes are input codes on the same grid.</summary>
    public const int MaxPoolBytes = 0;

    /// <summary>
    /// Add: int32 M0 of each input and their one shared int8 shift (2 x 4 + 1), then the zero points of both inputs and
    /// of the output, clamp min and clamp max (5 x int32) = 29 bytes.
    /// </summary>
    public const int AddBytes = 2 * Int32Bytes + Int8Bytes + 5 * Int32Bytes;

    /// <summary>Parameter bytes of a conv/linear layer with <paramref name="outChannels"/> output channels: 9 * c_out + 16.</summary>
    public static long QuantizedLayerBytes(int outChannels) => (long)BytesPerOutputChannel * outChannels + BytesPerQuantizedLayer;

    /// <summary>Parameter bytes of an op of <paramref name="kind"/> with <paramref name="outChannels"/> output channels.</summary>
    public static long Bytes(DeployedOpKind kind, int outChannels) => kind switch
    {
        DeployedOpKind.Conv2d or DeployedOpKind.DepthwiseConv2d or DeployedOpKind.Linear => QuantizedLayerBytes(outChannels),
        DeployedOpKind.Add => AddBytes,
        DeployedOpKind.MaxPool => MaxPoolBytes,
        DeployedOpKind.AvgPool or DeployedOpKind.GlobalAvgPool => AveragePoolBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
