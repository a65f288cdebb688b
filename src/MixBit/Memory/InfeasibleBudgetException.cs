namespace MixBit.Memory;

/// <summary>
/// The model does not fit the budget even with every weight and activation at 2 bits (the network input stays 8-bit).
/// Carries the smallest footprint that is possible, so the user can choose a device or a smaller model.
/// </summary>
public sealed class InfeasibleBudgetException(string modelName, MemoryFootprint minimal, MemoryBudget budget)
    : MixBitException(
        $"Model '{modelName}' cannot fit {budget} even with all weights and activations at 2 bits: it needs at least " +
        $"{MemorySize.Format(minimal.FlashBytes)} FLASH ({minimal.FlashBytes:N0} B) and {MemorySize.Format(minimal.PeakRamBytes)} RAM " +
        $"({minimal.PeakRamBytes:N0} B, at '{minimal.PeakRamOp}'); choose a larger device or a smaller width or resolution.")
{
    /// <summary>Footprint with every weight and activation at 2 bits.</summary>
    public MemoryFootprint Minimal { get; } = minimal;
    public MemoryBudget Budget { get; } = budget;
    public long MinFlashBytes => Minimal.FlashBytes;
    public long MinRamBytes => Minimal.PeakRamBytes;
    public bool FlashFits => Minimal.FlashBytes <= Budget.UsableFlashBytes;
    public bool RamFits => Minimal.PeakRamBytes <= Budget.UsableRamBytes;
}
