using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>
/// The memory-driven rule-based bit allocation of Rusci, Capotondi and Benini (arXiv 1905.13082), the baseline of
/// the RL search, and the repair step that makes any policy fit. Start from a policy (uniform 8-bit by default), then:
/// <list type="number">
/// <item>Activations (RAM): sweep over the ops in execution order; where an op's RAM (live tensors + scratch) exceeds
/// the RAM budget, halve the tensor <see cref="LoweringCandidates.ActivationToCut"/> names (8 -> 4 -> 2). Repeat sweeps
/// until no op is over.</item>
/// <item>Weights (FLASH): while the FLASH figure (packed weights + per-channel parameters) is over budget, halve the
/// weight bits of the first of <see cref="LoweringCandidates.WeightHolders"/>.</item>
/// </list>
/// A tensor's bits are lowered through the layers that set them (<see cref="DeployedTensor.BitSources"/>); tensors with
/// fixed bits (the network input and what derives from it, the int8 logits) stay 8-bit. Every cut only lowers memory,
/// so the budget is infeasible exactly when the all-2-bit policy does not fit; then an
/// <see cref="InfeasibleBudgetException"/> reports that footprint.
/// </summary>
public static class RuleBasedAllocator
{
    /// <summary>Allocates from uniform 8-bit, or repairs <paramref name="start"/>: only lowers bits, never raises them.</summary>
    /// <param name="frozen">Layers whose bits stay as they are in the start policy (e.g. first and last pinned to 8 bits).</param>
    public static RuleBasedAllocation Allocate(DeploymentPlan plan, MemoryBudget budget, BitPolicy? start = null, IReadOnlySet<string>? frozen = null)
    {
        var policy = start ?? BitPolicy.Uniform(plan.Graph, 8, 8);
        var cost = plan.Price(policy);
        var cuts = new List<BitCut>();

        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int o = 0; o < plan.Ops.Count; o++)
            {
                if (cost.Ops[o].RamBytes <= budget.UsableRamBytes) continue;
                if (LoweringCandidates.ActivationToCut(cost, o, frozen) is not { } tensor) continue;
                int bits = cost.BitsOf(tensor.Id);
                foreach (var layer in tensor.BitSources.Where(s => policy[s].ActivationBits == bits))
                {
                    policy = policy.WithActivationBits(layer, bits / 2);
                    cuts.Add(new BitCut(layer, BitCutTarget.Activation, bits, bits / 2, BitCutReason.Ram, plan.Ops[o].Name));
                }
                cost = plan.Price(policy);
                changed = true;
            }
        }
        if (cost.PeakRamBytes > budget.UsableRamBytes) throw Infeasible(plan, budget, frozen, start);

        while (cost.FlashBytes > budget.UsableFlashBytes)
        {
            var holders = LoweringCandidates.WeightHolders(cost, frozen);
            if (holders.Count == 0) throw Infeasible(plan, budget, frozen, start);
            var op = cost.Ops[holders[0]];
            policy = policy.WithWeightBits(op.Name, op.WeightBits / 2);
            cuts.Add(new BitCut(op.Name, BitCutTarget.Weight, op.WeightBits, op.WeightBits / 2, BitCutReason.Flash, op.Name));
            cost = plan.Price(policy);
        }
        return new RuleBasedAllocation(policy, cost, cuts);
    }

    /// <summary>
    /// Footprint with every weight and activation at 2 bits, except <paramref name="frozen"/> layers, which keep their bits
    /// in <paramref name="start"/>: the smallest this memory model allows.
    /// </summary>
    public static MemoryFootprint MinimalFootprint(DeploymentPlan plan, IReadOnlySet<string>? frozen = null, BitPolicy? start = null)
        => plan.Price(MinimalPolicy(plan, frozen, start)).Footprint;

    public static BitPolicy MinimalPolicy(DeploymentPlan plan, IReadOnlySet<string>? frozen = null, BitPolicy? start = null)
    {
        var policy = BitPolicy.Uniform(plan.Graph, 2, 2);
        foreach (var layer in frozen ?? new HashSet<string>())
        {
            var b = (start ?? BitPolicy.Uniform(plan.Graph, 8, 8))[layer];
            policy = policy.With(layer, b.WeightBits, b.ActivationBits);
        }
        return policy;
    }

    private static InfeasibleBudgetException Infeasible(DeploymentPlan plan, MemoryBudget budget, IReadOnlySet<string>? frozen, BitPolicy? start)
        => new(plan.Graph.Name, MinimalFootprint(plan, frozen, start), budget);
}
