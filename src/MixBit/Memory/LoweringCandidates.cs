namespace MixBit.Memory;

/// <summary>
/// Which tensors a memory-driven strategy lowers next: the one rule shared by the rule-based allocator, the search's
/// constraint step and <c>mixbit analyze</c> (which marks the same candidates).
/// </summary>
public static class LoweringCandidates
{
    /// <summary>delta of Rusci et al. (2019): layers within 5 percentage points of the largest weight share are candidates.</summary>
    public const double WeightShareMargin = 0.05;

    /// <summary>
    /// Ops (indices, in execution order) above 2 weight bits whose share of the weight bytes is within
    /// <see cref="WeightShareMargin"/> of the largest such share. The rule-based allocator halves the first.
    /// </summary>
    /// <param name="frozen">Layers whose bits must not change (e.g. first and last layers pinned to 8 bits).</param>
    public static IReadOnlyList<int> WeightHolders(PlanCost cost, IReadOnlySet<string>? frozen = null)
    {
        var layers = cost.Ops.Where(c => cost.Plan.Ops[c.Index].IsQuantizedLayer).ToArray();
        double total = layers.Sum(c => (double)c.WeightBytes);
        var cuttable = layers.Where(c => c.WeightBits > MinBits && frozen?.Contains(c.Name) != true).ToArray();
        if (cuttable.Length == 0 || total <= 0) return [];
        double largest = cuttable.Max(c => c.WeightBytes / total);
        return cuttable.Where(c => c.WeightBytes / total >= largest - WeightShareMargin - 1e-12).Select(c => c.Index).ToArray();
    }

    /// <summary>
    /// The tensor to halve when op <paramref name="op"/> is over the RAM budget: the larger lowerable one of its output
    /// and inputs (the output on a tie, which leaves earlier ops unchanged), else the largest lowerable live tensor (a
    /// residual skip); null when none can be lowered. A tensor is lowerable when it is above its floor and 2 bits and every
    /// layer that sets its bits (at its current width) may change.
    /// </summary>
    public static DeployedTensor? ActivationToCut(PlanCost cost, int op, IReadOnlySet<string>? frozen = null)
    {
        var plan = cost.Plan;
        var o = plan.Ops[op];
        bool Lowerable(DeployedTensor t)
        {
            int bits = cost.BitsOf(t.Id);
            return !t.HasFixedBits && bits > Math.Max(MinBits, t.FloorBits)
                && t.BitSources.All(s => frozen?.Contains(s) != true || cost.Policy[s].ActivationBits < bits);
        }
        DeployedTensor? Largest(IEnumerable<int> ids) => ids.Select(id => plan.Tensors[id]).Where(Lowerable)
            .Aggregate((DeployedTensor?)null, (best, t) => best is null || cost.TensorBytes(t.Id) > cost.TensorBytes(best.Id) ? t : best);
        return Largest(o.Inputs.Prepend(o.Output)) ?? Largest(o.LiveTensors);
    }

    private static int MinBits => MixBit.Quantization.BitPolicy.AllowedBits[^1];
}
