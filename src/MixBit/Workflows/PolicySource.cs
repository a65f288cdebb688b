using MixBit.Nn.Graph;
using MixBit.Quantization;

namespace MixBit.Workflows;

/// <summary>
/// Where a command's bit policy comes from: a JSON file, or uniform bits given by flags (optionally with the first
/// and last quantizable layers kept at 8/8), or, for a fine-tuned model, the policy stored in the model file.
/// </summary>
public sealed record PolicySource(string? PolicyPath = null, int? WeightBits = null, int? ActivationBits = null, bool KeepFirstLast8Bit = false)
{
    /// <summary>No policy given: a fine-tuned model's stored policy (and options) apply.</summary>
    public bool IsEmpty => PolicyPath is null && WeightBits is null && ActivationBits is null;

    public BitPolicy Resolve(ModelGraph graph, QuantizationMetadata? stored = null)
    {
        bool uniform = WeightBits is not null || ActivationBits is not null;
        if (PolicyPath is not null && uniform)
            throw new MixBitException("Give either --policy or --w-bits/--a-bits, not both.");
        BitPolicy policy;
        if (PolicyPath is not null) policy = BitPolicy.Read(PolicyPath, graph);
        else if (uniform) policy = BitPolicy.Uniform(graph, WeightBits ?? 8, ActivationBits ?? 8);
        else if (stored is not null) policy = stored.Policy(graph);
        else throw new MixBitException("No bit policy: give --policy P.json or uniform bits with --w-bits and --a-bits.");
        if (!KeepFirstLast8Bit) return policy;
        var layers = policy.Layers;
        return policy.With(layers[0], 8, 8).With(layers[^1], 8, 8);
    }
}
