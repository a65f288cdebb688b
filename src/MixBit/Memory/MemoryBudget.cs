namespace MixBit.Memory;

/// <summary>
/// What a model may use on a device: the device's FLASH and RAM minus a reserve for the runtime code and the stack.
/// The reserves default to 0; their real values are to be measured from the ARM build of the generated runtime
/// (arm-none-eabi-size of the firmware without the model) once the code generator exists.
/// </summary>
public sealed record MemoryBudget
{
    public MemoryBudget(long flashBytes, long ramBytes, long flashReserveBytes = 0, long ramReserveBytes = 0, string? device = null)
    {
        if (flashBytes <= 0 || ramBytes <= 0) throw new MixBitException("A memory budget needs positive FLASH and RAM sizes; check --flash and --ram.");
        if (flashReserveBytes < 0 || ramReserveBytes < 0) throw new MixBitException("Memory reserves cannot be negative; check --flash-reserve and --ram-reserve.");
        if (flashReserveBytes >= flashBytes)
            throw new MixBitException($"The FLASH reserve ({MemorySize.Format(flashReserveBytes)}) leaves nothing of the device's {MemorySize.Format(flashBytes)}; lower --flash-reserve.");
        if (ramReserveBytes >= ramBytes)
            throw new MixBitException($"The RAM reserve ({MemorySize.Format(ramReserveBytes)}) leaves nothing of the device's {MemorySize.Format(ramBytes)}; lower --ram-reserve.");
        (FlashBytes, RamBytes, FlashReserveBytes, RamReserveBytes) = (flashBytes, ramBytes, flashReserveBytes, ramReserveBytes);
        Device = device ?? $"{MemorySize.Format(flashBytes)} FLASH / {MemorySize.Format(ramBytes)} RAM";
    }

    public static MemoryBudget For(BoardPreset board, long flashReserveBytes = 0, long ramReserveBytes = 0)
        => new(board.FlashBytes, board.RamBytes, flashReserveBytes, ramReserveBytes, board.Name);

    /// <summary>
    /// The budget of the command-line options: a board preset and/or explicit sizes (which override the board's), with
    /// optional reserves. Sizes are parsed by <see cref="MemorySize.Parse"/> and named by their option in errors.
    /// </summary>
    public static MemoryBudget Resolve(string? board, string? flash, string? ram, string? flashReserve = null, string? ramReserve = null)
    {
        var preset = board is null ? null : BoardPreset.Find(board);
        long? flashBytes = flash is null ? preset?.FlashBytes : MemorySize.Parse(flash, "--flash");
        long? ramBytes = ram is null ? preset?.RamBytes : MemorySize.Parse(ram, "--ram");
        if (flashBytes is null || ramBytes is null)
            throw new MixBitException("No device given; pass --board NAME or both --flash and --ram (e.g. --flash 2MB --ram 512kB).");
        string device = preset is not null && flash is null && ram is null ? preset.Name
            : $"{(preset is null ? "" : preset.Name + ", ")}{MemorySize.Format(flashBytes.Value)} FLASH / {MemorySize.Format(ramBytes.Value)} RAM";
        return new MemoryBudget(flashBytes.Value, ramBytes.Value,
            flashReserve is null ? 0 : MemorySize.Parse(flashReserve, "--flash-reserve"),
            ramReserve is null ? 0 : MemorySize.Parse(ramReserve, "--ram-reserve"), device);
    }

    /// <summary>Device FLASH in bytes.</summary>
    public long FlashBytes { get; }

    /// <summary>Device RAM in bytes.</summary>
    public long RamBytes { get; }
    public long FlashReserveBytes { get; }
    public long RamReserveBytes { get; }

    /// <summary>Board name or a description of the explicit sizes.</summary>
    public string Device { get; }

    public long UsableFlashBytes => FlashBytes - FlashReserveBytes;
    public long UsableRamBytes => RamBytes - RamReserveBytes;

    public override string ToString() => $"{MemorySize.Format(UsableFlashBytes)} FLASH / {MemorySize.Format(UsableRamBytes)} RAM";
}
