using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Search;

/// <summary>Whether a decision sets a layer's weight bits or its activation (output) bits.</summary>
public enum StepKind { Weight, Activation }

/// <summary>One decision of an episode: a layer's weight or activation bits.</summary>
public sealed record DecisionStep(int Index, string Layer, int Op, StepKind Kind);

/// <summary>
/// The decisions a search makes for one model, in HAQ's order: walk the quantized layers in execution order, two steps
/// per layer (weight bits, then activation bits). A layer's activation step is left out when no tensor's bits depend on
/// it (the classifier, whose logits are always int8); pinned layers (first and last, as an option) have no steps and
/// stay at 8 bits.
/// </summary>
public sealed class SearchSpace
{
    private readonly DecisionStep[] _steps;
    private readonly BitPolicy _base;

    public SearchSpace(DeploymentPlan plan, bool pinEnds = false)
    {
        Plan = plan;
        var layers = plan.Layers;
        Pinned = pinEnds && layers.Count > 0 ? new HashSet<string>(StringComparer.Ordinal) { layers[0], layers[^1] } : new HashSet<string>(StringComparer.Ordinal);
        var steps = new List<DecisionStep>();
        foreach (var layer in layers)
        {
            if (Pinned.Contains(layer)) continue;
            int op = plan.Op(layer).Index;
            steps.Add(new DecisionStep(steps.Count, layer, op, StepKind.Weight));
            if (ActivationMatters(plan, layer)) steps.Add(new DecisionStep(steps.Count, layer, op, StepKind.Activation));
        }
        _steps = steps.ToArray();
        _base = BitPolicy.Uniform(plan.Graph, 8, 8);
    }

    public DeploymentPlan Plan { get; }
    public IReadOnlyList<DecisionStep> Steps => _steps;

    /// <summary>Layers that stay at 8/8 bits.</summary>
    public IReadOnlySet<string> Pinned { get; }

    /// <summary>The policy with <paramref name="bits"/>[i] at step i; pinned layers and unused activation bits at 8.</summary>
    public BitPolicy ToPolicy(IReadOnlyList<int> bits)
    {
        if (bits.Count != _steps.Length) throw new ArgumentException($"Expected {_steps.Length} step bit-widths, got {bits.Count}.");
        var map = _base.Layers.ToDictionary(l => l, l => _base[l], StringComparer.Ordinal);
        foreach (var s in _steps)
            map[s.Layer] = s.Kind == StepKind.Weight ? map[s.Layer] with { WeightBits = bits[s.Index] } : map[s.Layer] with { ActivationBits = bits[s.Index] };
        return BitPolicy.Create(Plan.Graph, map);
    }

    /// <summary>The step bit-widths of <paramref name="policy"/>.</summary>
    public int[] FromPolicy(BitPolicy policy)
        => _steps.Select(s => s.Kind == StepKind.Weight ? policy[s.Layer].WeightBits : policy[s.Layer].ActivationBits).ToArray();

    /// <summary>
    /// The canonical form of a policy in this space: activation bits that no tensor depends on, and pinned layers, set to
    /// 8. Two policies with the same canonical form deploy identically, so the cache keys on it.
    /// </summary>
    public BitPolicy Canonical(BitPolicy policy) => ToPolicy(FromPolicy(policy));

    /// <summary>Compact key of a policy: its step bits, e.g. "84482...".</summary>
    public string Key(BitPolicy policy) => string.Concat(FromPolicy(policy));

    private static bool ActivationMatters(DeploymentPlan plan, string layer)
        => plan.Tensors.Any(t => !t.HasFixedBits && t.BitSources.Contains(layer));
}
