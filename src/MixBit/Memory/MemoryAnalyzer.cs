using MixBit.Nn.Graph;
using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>The service behind <c>mixbit analyze</c>: memory of a model under a policy, on a budget, and the rule-based policy.</summary>
public static class MemoryAnalyzer
{
    /// <summary>Analyses <paramref name="policy"/> (uniform 8-bit when null) and runs the rule-based allocation.</summary>
    public static MemoryReport Analyze(ModelGraph graph, MemoryBudget budget, BitPolicy? policy = null, string? policySource = null)
    {
        var uniform8 = DeploymentPlan.Build(graph, BitPolicy.Uniform(graph, 8, 8));
        var plan = policy is null ? uniform8 : DeploymentPlan.Build(graph, policy);
        var all2 = DeploymentPlan.Build(graph, BitPolicy.Uniform(graph, 2, 2));

        RuleBasedAllocation? rule = null;
        string? ruleError = null;
        try { rule = RuleBasedAllocator.Allocate(graph, budget); }
        catch (InfeasibleBudgetException e) { ruleError = e.Message; }

        var flashCandidates = plan.FlashBytes > budget.UsableFlashBytes ? LargestWeightHolders(plan) : [];
        var rows = plan.Ops.Select(op =>
        {
            var output = plan.Tensors[op.Output];
            var binds = new List<string>();
            if (op.RamBytes > budget.UsableRamBytes) binds.Add("RAM");
            if (flashCandidates.Contains(op.Index)) binds.Add("FLASH");
            if (op.Name == plan.Footprint.PeakRamOp) binds.Add("peak");
            var r = rule?.Plan.Ops[op.Index];
            return new MemoryReportRow(op.Index, op.Name, KindName(op), output.Shape.ToString(), op.Macs, op.WeightCount,
                op.WeightBits, output.Bits, op.WeightBytes, op.ParameterBytes, output.Bytes, op.ScratchBytes, op.RamBytes,
                op.LiveTensors.Select(t => plan.Tensors[t].Name).ToArray(), string.Join("+", binds),
                r is null ? null : r.WeightBits, r is null ? null : rule!.Plan.Tensors[r.Output].Bits, r?.FlashBytes, r?.RamBytes);
        }).ToArray();

        var b = budget;
        return new MemoryReport(
            graph.Name, graph.TrainableParameterCount, graph.TotalMacs,
            new BudgetSummary(b.Device, b.FlashBytes, b.RamBytes, b.FlashReserveBytes, b.RamReserveBytes, b.UsableFlashBytes, b.UsableRamBytes),
            policySource ?? (policy is null ? "uniform 8-bit" : "given policy"),
            FootprintSummary.Of(plan.Footprint, budget), rows,
            FootprintSummary.Of(uniform8.Footprint, budget), FootprintSummary.Of(all2.Footprint, budget),
            rule is null
                ? new RuleBasedSummary(false, ruleError, null, null, [], [])
                : new RuleBasedSummary(true, null, FootprintSummary.Of(rule.Footprint, budget), Histogram(rule.Policy), Layers(rule.Policy), rule.Cuts));
    }

    public static BitHistogram Histogram(BitPolicy p)
    {
        int W(int bits) => p.Layers.Count(l => p[l].WeightBits == bits);
        int A(int bits) => p.Layers.Count(l => p[l].ActivationBits == bits);
        return new BitHistogram(W(8), W(4), W(2), A(8), A(4), A(2));
    }

    public static IReadOnlyList<PolicyLayer> Layers(BitPolicy p) => p.Layers.Select(l => new PolicyLayer(l, p[l].WeightBits, p[l].ActivationBits)).ToArray();

    /// <summary>"conv3x3/s2", "dwconv3x3", "pwconv", "linear", "add", "maxpool2x2", "gap".</summary>
    public static string KindName(DeployedOp op) => op.Spec switch
    {
        Nn.Specs.Conv2dSpec c when c.IsPointwise => "pwconv",
        Nn.Specs.Conv2dSpec c => $"{(c.IsDepthwise ? "dwconv" : "conv")}{c.KernelH}x{c.KernelW}{(c.StrideH > 1 ? $"/s{c.StrideH}" : "")}",
        Nn.Specs.Pool2dSpec p => $"{p.OpName}{p.KernelH}x{p.KernelW}",
        _ => op.Spec.OpName,
    };

    /// <summary>Ops whose share of the weight bytes is within delta of the largest share (the FLASH rule's candidates).</summary>
    private static HashSet<int> LargestWeightHolders(DeploymentPlan plan)
    {
        double total = plan.Ops.Sum(o => (double)o.WeightBytes);
        if (total == 0) return [];
        double largest = plan.Ops.Max(o => o.WeightBytes / total);
        return plan.Ops.Where(o => o.WeightBytes > 0 && o.WeightBytes / total >= largest - RuleBasedAllocator.WeightShareMargin - 1e-12)
            .Select(o => o.Index).ToHashSet();
    }
}
