using System.Text.Json;
using System.Text.Json.Serialization;
using MixBit.Nn.Graph;

namespace MixBit.Quantization;

/// <summary>
/// JSON form of a bit policy, layers in execution order:
/// <c>{ "model": "mobilenet_v1_1_224", "layers": [ { "name": "stem.conv", "weightBits": 8, "activationBits": 8 }, ... ] }</c>.
/// </summary>
public sealed partial class BitPolicy
{
    private sealed record LayerEntry(string? Name, int WeightBits, int ActivationBits);
    private sealed record PolicyFile(string? Model, List<LayerEntry>? Layers);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson()
        => JsonSerializer.Serialize(new PolicyFile(ModelName, _layers.Select(l => new LayerEntry(l, _bits[l].WeightBits, _bits[l].ActivationBits)).ToList()), JsonOptions);

    /// <summary>Parses a policy and validates it against <paramref name="graph"/>; <paramref name="source"/> names it in errors.</summary>
    public static BitPolicy FromJson(string json, ModelGraph graph, string source = "bit policy")
    {
        PolicyFile? file;
        try { file = JsonSerializer.Deserialize<PolicyFile>(json, JsonOptions); }
        catch (JsonException e)
        {
            throw new MixBitException($"{source} is not a valid bit policy ({e.Message}); expected {{\"layers\": [{{\"name\", \"weightBits\", \"activationBits\"}}, ...]}}.");
        }
        if (file?.Layers is null)
            throw new MixBitException($"{source} has no \"layers\" array; expected {{\"layers\": [{{\"name\", \"weightBits\", \"activationBits\"}}, ...]}}.");
        if (file.Layers.Any(e => e is null || string.IsNullOrEmpty(e.Name)))
            throw new MixBitException($"{source} has a layer entry without a \"name\"; give every entry the layer name from the model.");
        try { return Create(graph, file.Layers.Select(e => KeyValuePair.Create(e.Name!, new LayerBits(e.WeightBits, e.ActivationBits)))); }
        catch (MixBitException e) { throw new MixBitException($"{source}: {e.Message}"); }
    }

    public static BitPolicy Read(string path, ModelGraph graph)
    {
        if (!File.Exists(path)) throw new MixBitException($"Bit policy file '{path}' does not exist; check the path.");
        return FromJson(File.ReadAllText(path), graph, $"Bit policy file '{path}'");
    }

    /// <summary>Writes the policy atomically (temporary file in the same folder, then rename).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, ToJson());
}
