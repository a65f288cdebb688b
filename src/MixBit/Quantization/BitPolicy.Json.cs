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
    // Bits are nullable so that a missing field is reported as missing, not as "0 bits".
    private sealed record LayerEntry(string? Name, int? WeightBits, int? ActivationBits);
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
            // e.Path and e.LineNumber locate the problem; System.Text.Json's own message would name .NET types.
            string where = e.Path is { Length: > 1 } ? $" at {e.Path}" : "";
            string line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
            string what = e.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? "a value of the wrong type" : e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "an unknown property" : "malformed JSON or an unexpected value";
            throw new MixBitException($"{source} is not a valid bit policy: {what}{where}{line}; expected {{\"layers\": [{{\"name\": \"...\", \"weightBits\": 8, \"activationBits\": 8}}, ...]}}.");
        }
        if (file?.Layers is null)
            throw new MixBitException($"{source} has no \"layers\" array; expected {{\"layers\": [{{\"name\", \"weightBits\", \"activationBits\"}}, ...]}}.");
        if (file.Layers.Any(e => e is null || string.IsNullOrEmpty(e.Name)))
            throw new MixBitException($"{source} has a layer entry without a \"name\"; give every entry the layer name from the model.");
        if (file.Layers.FirstOrDefault(e => e.WeightBits is null || e.ActivationBits is null) is { } incomplete)
            throw new MixBitException($"{source}: layer '{incomplete.Name}' has no \"{(incomplete.WeightBits is null ? "weightBits" : "activationBits")}\"; give it 2, 4 or 8.");
        try { return Create(graph, file.Layers.Select(e => KeyValuePair.Create(e.Name!, new LayerBits(e.WeightBits!.Value, e.ActivationBits!.Value)))); }
        catch (MixBitException e) { throw new MixBitException($"{source}: {e.Message}"); }
    }

    public static BitPolicy Read(string path, ModelGraph graph)
    {
        InputFile.Check(path, "Bit policy file", "policy .json file");
        return FromJson(InputFile.ReadAllText(path, "Bit policy file"), graph, $"Bit policy file '{path}'");
    }

    /// <summary>Writes the policy atomically (temporary file in the same folder, then rename).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, ToJson());
}
