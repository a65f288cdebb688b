using MixBit.Nn.Graph;
using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>
/// The memory-driven rule-based bit allocation of Rusci, Capotondi and Benini (arXiv 1905.13082), the baseline of
/// the RL search. Start with every tensor at 8 bits, then:
/// <list type="number">
/// <item>Activations (RAM): sweep over the ops in execution order; where an op's RAM (input + output + scratch, plus
/// any skip tensor a later Add reads) exceeds the RAM budget, halve the larger of its input and output tensors
/// (8 -> 4 -> 2; on a tie the output, which leaves earlier ops unchanged). If neither can be cut, halve the largest
/// other live tensor (a residual skip). Repeat sweeps until no op is over.</item>
/// <item>Weights (FLASH): while the FLASH figure (packed weights + per-channel parameters) is over budget, among the
/// layers whose share of the weight bytes is within <see cref="WeightShareMargin"/> of the largest share (of layers
/// still above 2 bits), halve the weight bits of the earliest.</item>
/// </list>
/// A tensor's bits are lowered through the layers that set them (<see cref="DeployedTensor.BitSources"/>); the network
/// input and tensors derived from it stay 8-bit. Every cut only lowers memory, so the budget is infeasible exactly
/// when the all-2-bit policy does not fit; then an <see cref="InfeasibleBudgetException"/> reports that footprint.
/// </summary>
public static class RuleBasedAllocator
{
    /// <summary>delta of the paper: layers within 5 percentage points of the largest weight share are candidates.</summary>
    public const double WeightShareMargin = 0.05;

    public static RuleBasedAllocation Allocate(ModelGraph graph, MemoryBudget budget)
    {
        var policy = BitPolicy.Uniform(graph, 8, 8);
        var plan = DeploymentPlan.Build(graph, policy);
        var cuts = new List<BitCut>();

        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int o = 0; o < plan.Ops.Count; o++)
            {
                if (plan.Ops[o].RamBytes <= budget.UsableRamBytes) continue;
                if (ActivationToCut(plan, o) is not { } tensor) continue;
                foreach (var layer in tensor.BitSources.Where(s => policy[s].ActivationBits == tensor.Bits))
                {
                    policy = policy.WithActivationBits(layer, tensor.Bits / 2);
                    cuts.Add(new BitCut(layer, BitCutTarget.Activation, tensor.Bits, tensor.Bits / 2, BitCutReason.Ram, plan.Ops[o].Name));
                }
                plan = DeploymentPlan.Build(graph, policy);
                changed = true;
            }
        }
        if (plan.PeakRamBytes > budget.UsableRamBytes) throw Infeasible(graph, budget);

        while (plan.FlashBytes > budget.UsableFlashBytes)
        {
            if (WeightsToCut(plan) is not { } op) throw Infeasible(graph, budget);
            policy = policy.WithWeightBits(op.Name, op.WeightBits / 2);
            cuts.Add(new BitCut(op.Name, BitCutTarget.Weight, op.WeightBits, op.WeightBits / 2, BitCutReason.Flash, op.Name));
            plan = DeploymentPlan.Build(graph, policy);
        }
        return new RuleBasedAllocation(policy, plan, cuts);
    }

    /// <summary>Footprint with every weight and activation at 2 bits: the smallest this memory model allows.</summary>
    public static MemoryFootprint MinimalFootprint(ModelGraph graph) => DeploymentPlan.Build(graph, BitPolicy.Uniform(graph, 2, 2)).Footprint;

    /// <summary>The larger cuttable of the op's output and inputs (output first on ties), else the largest cuttable live tensor.</summary>
    private static DeployedTensor? ActivationToCut(DeploymentPlan plan, int o)
    {
        var op = plan.Ops[o];
        static bool Cuttable(DeployedTensor t) => !t.HasFixedBits && t.Bits > 2;
        DeployedTensor? Largest(IEnumerable<int> ids) => ids.Select(id => plan.Tensors[id]).Where(Cuttable)
            .Aggregate((DeployedTensor?)null, (best, t) => best is null || t.Bytes > best.Bytes ? t : best);
        return Largest(op.Inputs.Prepend(op.Output)) ?? Largest(op.LiveTensors);
    }

    /// <summary>Earliest layer above 2 bits whose share of the weight bytes is within delta of the largest such share.</summary>
    private static DeployedOp? WeightsToCut(DeploymentPlan plan)
    {
        var layers = plan.Ops.Where(op => op.IsQuantizedLayer).ToArray();
        double total = layers.Sum(op => (double)op.WeightBytes);
        var cuttable = layers.Where(op => op.WeightBits > 2).ToArray();
        if (cuttable.Length == 0) return null;
        double largest = cuttable.Max(op => op.WeightBytes / total);
        return cuttable.First(op => op.WeightBytes / total >= largest - WeightShareMargin - 1e-12);
    }

    private static InfeasibleBudgetException Infeasible(ModelGraph graph, MemoryBudget budget)
        => new(graph.Name, MinimalFootprint(graph), budget);
}
