using MixBit.Memory;
using MixBit.Search;
using MixBit.Workflows;

namespace MixBit.Reporting;

/// <summary>
/// What a run folder holds, stage by stage; null where the stage has not run (its file is missing).
/// <see cref="SearchedMemory"/> is the memory per layer of the searched policy, computed from float.onnx and the
/// search summary (the analysis stage covers only uniform 8-bit, all 2-bit and the rule-based policy).
/// </summary>
public sealed record RunResults(
    string Folder,
    RunSettings? Settings,
    FloatModelFacts? Float,
    MemoryReport? Analysis,
    SearchSummary? Search,
    IReadOnlyList<SearchRecord> SearchRecords,
    SearchSummary? RuleBaseline,
    SearchSummary? UniformBaseline,
    FinetuneFacts? Finetune,
    IntegerModelFacts? Integer,
    QdqFacts? Qdq,
    CCheckFacts? CCheck,
    MemoryReport? SearchedMemory)
{
    /// <summary>True when no stage has written anything yet.</summary>
    public bool IsEmpty => Settings is null && Float is null && Analysis is null && Search is null && SearchRecords.Count == 0 &&
        RuleBaseline is null && UniformBaseline is null && Finetune is null && Integer is null && Qdq is null && CCheck is null;

    /// <summary>The budget, from whichever stage wrote it (the analysis first).</summary>
    public BudgetSummary? Budget => Analysis?.Budget ?? (Search is { } s
        ? new BudgetSummary(s.Device, s.FlashBudgetBytes, s.RamBudgetBytes, s.FlashReserveBytes, s.RamReserveBytes, s.UsableFlashBytes, s.UsableRamBytes)
        : null);
}
