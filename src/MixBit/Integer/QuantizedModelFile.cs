using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>
/// The saved integer model (.mbq): the 8-byte magic "MIXBITQM", a uint32 format version, a uint64 payload length, the
/// payload (the <see cref="QuantizedModel"/> as UTF-8 JSON, byte arrays in base64) and the SHA-256 of the payload; all
/// integers little-endian. Written atomically (<see cref="AtomicFile"/>). A file that is not one, comes from another
/// format version, is truncated or fails its checksum is refused with a message that says which.
/// </summary>
public static class QuantizedModelFile
{
    public const int FormatVersion = 1;
    public const string Extension = ".mbq";
    private static readonly byte[] Magic = "MIXBITQM"u8.ToArray();
    private const int HeaderBytes = 8 + 4 + 8;
    private const int HashBytes = 32;

    private static readonly JsonSerializerOptions Json = new() { IgnoreReadOnlyProperties = true };

    public static void Save(QuantizedModel model, string path)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(model, Json);
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(12), (ulong)payload.Length);
        byte[] hash = SHA256.HashData(payload);
        AtomicFile.Write(path, s => { s.Write(header); s.Write(payload); s.Write(hash); });
    }

    public static QuantizedModel Load(string path)
    {
        if (!File.Exists(path)) throw new MixBitException($"Integer model file '{path}' does not exist; create it with `mixbit convert`.");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new MixBitException($"'{path}' is not a MixBit integer model (.mbq) file; create one with `mixbit convert`.");
        if (bytes.Length < HeaderBytes)
            throw new MixBitException($"Integer model file '{path}' is truncated ({bytes.Length} bytes); convert the model again.");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion)
            throw new MixBitException($"Integer model file '{path}' has format version {version}; this MixBit reads version {FormatVersion}. Convert the model again with this version of `mixbit convert`.");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(12));
        if (length > (ulong)(bytes.Length - HeaderBytes - HashBytes) || (ulong)bytes.Length != HeaderBytes + length + HashBytes)
            throw new MixBitException($"Integer model file '{path}' is truncated or has trailing bytes ({bytes.Length} bytes, the header announces {length} bytes of model); convert the model again.");
        var payload = bytes.AsSpan(HeaderBytes, (int)length);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.AsSpan(HeaderBytes + (int)length)))
            throw new MixBitException($"Integer model file '{path}' is corrupt (checksum mismatch); convert the model again.");
        QuantizedModel? model;
        try { model = JsonSerializer.Deserialize<QuantizedModel>(payload, Json); }
        catch (JsonException e) { throw new MixBitException($"Integer model file '{path}' has a malformed model ({e.Message}); convert the model again."); }
        if (model is null) throw new MixBitException($"Integer model file '{path}' holds no model; convert the model again.");
        Validate(model, path);
        return model;
    }

    /// <summary>Structural checks a checksum cannot give: ids in range, array lengths and packed sizes that agree.</summary>
    private static void Validate(QuantizedModel m, string path)
    {
        void Check(bool ok, string what)
        {
            if (!ok) throw new MixBitException($"Integer model file '{path}' is inconsistent: {what}; convert the model again.");
        }
        Check(m.Tensors is { Length: > 0 } && m.Ops is { Length: > 0 }, "no tensors or no ops");
        for (int t = 0; t < m.Tensors.Length; t++)
            Check(m.Tensors[t] is { Bits: 2 or 4 or 8 } x && x.Id == t && x.Height > 0 && x.Width > 0 && x.Channels > 0 && x.Scale > 0, $"tensor {t}");
        bool Known(int id) => id >= 0 && id < m.Tensors.Length;
        Check(Known(m.OutputTensor), "output tensor");
        foreach (var op in m.Ops)
        {
            Check(op.Inputs.All(Known) && Known(op.Output), $"op '{op.Name}' reads or writes an unknown tensor");
            if (op is QuantizedLayer l)
                Check(l.Bias.Length == l.OutChannels && l.Multipliers.Length == l.OutChannels && l.OutChannels > 0 && l.Groups > 0
                    && l.PackedWeights.Length == PackedSize.Bytes(l.WeightCount, l.WeightBits)
                    && l.Multipliers.All(x => x.Shift is >= FixedPointMultiplier.MinShift and <= FixedPointMultiplier.MaxShift),
                    $"layer '{l.Name}' has {l.PackedWeights.Length} weight bytes for {l.WeightCount} weights at {l.WeightBits} bits");
        }
    }
}
