using System.Text.Json;
using System.Text.Json.Serialization;
using MixBit.Nn.Graph;
using MixBit.Quantization;

namespace MixBit.Workflows;

/// <summary>
/// The quantization state a fine-tuned model file carries in its metadata (key <see cref="Key"/>): the bit policy,
/// the quantization options it was trained with and the learned ranges (clip values, weight clip ratios).
/// </summary>
public sealed record QuantizationMetadata(string PolicyJson, QuantizationOptions Options, LearnedRanges Ranges)
{
    public const string Key = "mixbit.quantization";

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public BitPolicy Policy(ModelGraph graph) => BitPolicy.FromJson(PolicyJson, graph, "The model file's stored bit policy");

    /// <summary>The stored state, or null for a plain float model.</summary>
    public static QuantizationMetadata? Read(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(Key, out var json)) return null;
        try { return JsonSerializer.Deserialize<QuantizationMetadata>(json, Json); }
        catch (JsonException) { throw new MixBitException("The model file's quantization metadata is malformed; fine-tune it again with `mixbit finetune`."); }
    }

    public static QuantizationMetadata From(FakeQuantNetwork network)
        => new(network.Policy.ToJson(), network.Options, LearnedRanges.Capture(network));
}
