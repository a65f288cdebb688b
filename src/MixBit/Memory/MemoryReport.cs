namespace MixBit.Memory;

/// <summary>
/// What <see cref="MemoryAnalyzer"/> found for one model on one budget: a row per deployed op, totals of the analysed
/// policy (uniform 8-bit unless one is given), the uniform 8-bit and all-2-bit footprints, and the rule-based policy.
/// Plain data, serialisable as JSON.
/// </summary>
public sealed record MemoryReport(
    string Model,
    long Parameters,
    long TotalMacs,
    BudgetSummary Budget,
    string PolicySource,
    FootprintSummary Footprint,
    IReadOnlyList<MemoryReportRow> Rows,
    FootprintSummary Uniform8Bit,
    FootprintSummary All2Bit,
    RuleBasedSummary RuleBased);

/// <summary>Device figures, reserves and what is left for the model, in bytes.</summary>
public sealed record BudgetSummary(string Device, long FlashBytes, long RamBytes, long FlashReserveBytes, long RamReserveBytes,
    long UsableFlashBytes, long UsableRamBytes);

/// <summary>Totals of one policy and how much of each budget they use (1.0 = full).</summary>
public sealed record FootprintSummary(long FlashBytes, long WeightBytes, long ParameterBytes, long PeakRamBytes, string PeakRamOp,
    double FlashUtilisation, double RamUtilisation, bool FlashFits, bool RamFits)
{
    public bool Fits => FlashFits && RamFits;

    public static FootprintSummary Of(MemoryFootprint f, MemoryBudget b) => new(f.FlashBytes, f.WeightBytes, f.ParameterBytes,
        f.PeakRamBytes, f.PeakRamOp, (double)f.FlashBytes / b.UsableFlashBytes, (double)f.PeakRamBytes / b.UsableRamBytes,
        f.FlashBytes <= b.UsableFlashBytes, f.PeakRamBytes <= b.UsableRamBytes);
}

/// <summary>
/// One deployed op under the analysed policy. Binds lists the constraints the op is involved in: "RAM" (its RAM alone is
/// over the RAM budget), "FLASH" (FLASH is over budget and the op is among the largest weight holders the rule-based
/// allocator would cut first), "peak" (the op sets the peak RAM). Rule* columns are the rule-based policy at this op.
/// </summary>
public sealed record MemoryReportRow(
    int Index, string Name, string Op, string OutputShape, long Macs, long WeightCount,
    int WeightBits, int OutputBits, long WeightBytes, long ParameterBytes, long ActivationBytes, long ScratchBytes,
    long RamBytes, IReadOnlyList<string> LiveTensors, string Binds,
    int? RuleWeightBits, int? RuleOutputBits, long? RuleFlashBytes, long? RuleRamBytes);

/// <summary>Per quantized layer bits of a policy.</summary>
public sealed record PolicyLayer(string Name, int WeightBits, int ActivationBits);

/// <summary>How many quantized layers have their weights / activations at 8, 4 and 2 bits.</summary>
public sealed record BitHistogram(int Weights8, int Weights4, int Weights2, int Activations8, int Activations4, int Activations2)
{
    public override string ToString() => $"W 8:{Weights8} 4:{Weights4} 2:{Weights2}, A 8:{Activations8} 4:{Activations4} 2:{Activations2}";
}

/// <summary>The rule-based policy for the budget, or why there is none (Feasible = false, with the all-2-bit footprint in the report).</summary>
public sealed record RuleBasedSummary(bool Feasible, string? Error, FootprintSummary? Footprint, BitHistogram? Histogram,
    IReadOnlyList<PolicyLayer> Layers, IReadOnlyList<BitCut> Cuts);
