namespace MixBit.Memory;

/// <summary>Totals of a deployment plan. FlashBytes = WeightBytes + ParameterBytes; PeakRamBytes is the placed arena (at least the largest op RAM); PeakRamOp the op with the largest live set.</summary>
public sealed record MemoryFootprint(long WeightBytes, long ParameterBytes, long PeakRamBytes, string PeakRamOp)
{
    public long FlashBytes => WeightBytes + ParameterBytes;

    public bool Fits(MemoryBudget budget) => FlashBytes <= budget.UsableFlashBytes && PeakRamBytes <= budget.UsableRamBytes;
}
