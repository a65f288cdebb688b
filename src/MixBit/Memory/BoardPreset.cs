namespace MixBit.Memory;

/// <summary>A microcontroller's on-chip FLASH and SRAM usable for a model, and its core.</summary>
public sealed record BoardPreset(string Name, long FlashBytes, long RamBytes, string Core)
{
    /// <summary>
    /// Figures of the largest-memory part of each line as the vendors' datasheets and product pages give them
    /// (1 kB = 1024 B); cross-checked against board support files (Linux, RIOT, Zephyr, stm32-rs memory.x).
    /// </summary>
    public static IReadOnlyList<BoardPreset> All { get; } =
    [
        // STM32H743xI: 2 MB flash, 1 MB RAM in total, of which 512 kB is the AXI SRAM at 0x24000000 (the largest
        // contiguous block; stm32h7xx-hal memory.x); the 2 MB / 512 kB budget of Rusci et al.
        new("stm32h743", 2 * MemorySize.MiB, 512 * MemorySize.KiB, "Cortex-M7"),
        // STM32F746xG: 1 MB flash, 320 kB SRAM (240 kB SRAM1 + 16 kB SRAM2 + 64 kB DTCM).
        new("stm32f746", 1 * MemorySize.MiB, 320 * MemorySize.KiB, "Cortex-M7"),
        // STM32F412xG: 1 MB flash, 256 kB SRAM.
        new("stm32f412", 1 * MemorySize.MiB, 256 * MemorySize.KiB, "Cortex-M4"),
        // nRF52840 (Nordic product specification): 1 MB flash, 256 kB RAM.
        new("nrf52840", 1 * MemorySize.MiB, 256 * MemorySize.KiB, "Cortex-M4"),
        // STM32L476xG: 1 MB flash, 128 kB SRAM (96 kB SRAM1 + 32 kB SRAM2).
        new("stm32l476", 1 * MemorySize.MiB, 128 * MemorySize.KiB, "Cortex-M4"),
        // STM32G071xB: 128 kB flash, 36 kB SRAM (RIOT nucleo-g071rb); the very small part.
        new("stm32g071", 128 * MemorySize.KiB, 36 * MemorySize.KiB, "Cortex-M0+"),
    ];

    public static BoardPreset Find(string name)
        => All.FirstOrDefault(b => string.Equals(b.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
           ?? throw new MixBitException($"Unknown board '{name}'; use one of {string.Join(", ", All.Select(b => b.Name))}, or give --flash and --ram.");

    /// <summary>The measured FLASH and RAM the runtime needs on this board's core (the budget's default reserves).</summary>
    public RuntimeReserve Reserve => RuntimeReserve.For(Core);

    public override string ToString() => $"{Name} ({Core}, {MemorySize.Format(FlashBytes)} FLASH, {MemorySize.Format(RamBytes)} RAM)";
}
