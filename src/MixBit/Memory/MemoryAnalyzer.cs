using MixBit.Nn.Graph;
using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>The service behind <c>mixbit analyze</c>: memory of a model under a policy, on a budget, and the rule-based policy.</summary>
public static class MemoryAnalyzer
{
    /// <summary>Analyses <paramref name="policy"/> (uniform 8-bit when null) and runs the rule-based allocation.</summary>
    public static MemoryReport Analyze(ModelGraph graph, MemoryBudget budget, BitPolicy? policy = null, string? policySource = null)
    {
        var plan = DeploymentPlan.Build(graph);
        var uniform8 = plan.Price(BitPolicy.Uniform(graph, 8, 8));
        var cost = policy is null ? uniform8 : plan.Price(policy);
        var all2 = plan.Price(BitPolicy.Uniform(graph, 2, 2));

        RuleBasedAllocation? rule = null;
        string? ruleError = null;
        try { rule = RuleBasedAllocator.Allocate(plan, budget); }
        catch (InfeasibleBudgetException e) { ruleError = e.Message; }

        var flashCandidates = cost.FlashBytes > budget.UsableFlashBytes ? LoweringCandidates.WeightHolders(cost).ToHashSet() : [];
        var rows = plan.Ops.Select(op =>
        {
            var c = cost.Ops[op.Index];
            var binds = new List<string>();
            if (c.RamBytes > budget.UsableRamBytes) binds.Add("RAM");
            if (flashCandidates.Contains(op.Index)) binds.Add("FLASH");
            if (op.Name == cost.Footprint.PeakRamOp) binds.Add("peak");
            var r = rule?.Cost.Ops[op.Index];
            return new MemoryReportRow(op.Index, op.Name, KindName(op), plan.Tensors[op.Output].Shape.ToString(), op.Macs, op.WeightCount,
                c.WeightBits, cost.BitsOf(op.Output), c.WeightBytes, c.ParameterBytes, cost.TensorBytes(op.Output), c.ScratchBytes, c.RamBytes,
                op.LiveTensors.Select(t => plan.Tensors[t].Name).ToArray(), string.Join("+", binds),
                r?.WeightBits, rule?.Cost.BitsOf(op.Output), r?.FlashBytes, r?.RamBytes);
        }).ToArray();

        var b = budget;
        return new MemoryReport(
            graph.Name, graph.TrainableParameterCount, graph.TotalMacs,
            new BudgetSummary(b.Device, b.FlashBytes, b.RamBytes, b.FlashReserveBytes, b.RamReserveBytes, b.UsableFlashBytes, b.UsableRamBytes),
            policySource ?? (policy is null ? "uniform 8-bit" : "given policy"),
            FootprintSummary.Of(cost.Footprint, budget), rows,
            FootprintSummary.Of(uniform8.Footprint, budget), FootprintSummary.Of(all2.Footprint, budget),
            rule is null
                ? new RuleBasedSummary(false, ruleError, null, null, [], [])
                : new RuleBasedSummary(true, null, FootprintSummary.Of(rule.Footprint, budget), Histogram(rule.Policy), Layers(rule.Policy), rule.Cuts));
    }

    public static BitHistogram Histogram(BitPolicy p) => Histogram(Layers(p));

    public static BitHistogram Histogram(IReadOnlyList<PolicyLayer> layers)
    {
        int W(int bits) => layers.Count(l => l.WeightBits == bits);
        int A(int bits) => layers.Count(l => l.ActivationBits == bits);
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
}
