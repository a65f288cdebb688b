namespace MixBit.Memory;

/// <summary>
/// What the deployed library needs besides the model's weights, parameters and arena, per core: FLASH for the runtime
/// kernels, the per-op descriptors (shape and quantization structs, about 80 B per layer), startup and the libc helpers
/// they call; RAM for the stack of <c>mixbit_run</c> and the library's few static bytes. Measured by
/// `mixbit deploy --check` (arm-none-eabi-gcc 12.2 -O2 --gc-sections, `arm-none-eabi-size` of the library alone with a
/// minimal startup, stack painted and measured under QEMU) for the default model (MobileNetV1 0.25, 29 ops) with the
/// STM32G071 rule-based mixed policy (W8/W4/W2 kernels at A8), then rounded up to a whole kB plus 1 kB for further bit
/// triples a policy may use (each adds 0.5-1 kB per op kind). These are the default reserves of <see cref="MemoryBudget"/>
/// for a board preset (docs/CODEGEN.md has the measurements).
/// </summary>
public sealed record RuntimeReserve(string Core, long FlashBytes, long RamBytes)
{
    public static IReadOnlyList<RuntimeReserve> All { get; } =
    [
        // measured code 17,845 B (specialised kernels, rule policy); the compact kernels, which deploy falls back to when a
        // policy's specialised kernels do not fit, measured 19,761 B with every bit path linked; stack 608 B + 12 B static
        new("Cortex-M0+", 20 * MemorySize.KiB, 1 * MemorySize.KiB),
        // measured code 17,253 B; stack 552 B + 12 B
        new("Cortex-M4", 18 * MemorySize.KiB, 1 * MemorySize.KiB),
        // measured code 17,289 B; stack 552 B + 12 B
        new("Cortex-M7", 18 * MemorySize.KiB, 1 * MemorySize.KiB),
        // measured code 17,305 B; stack 548 B + 12 B
        new("Cortex-M55", 18 * MemorySize.KiB, 1 * MemorySize.KiB),
    ];

    /// <summary>The reserve of <paramref name="core"/> ("Cortex-M4"...); none (0) for a core without a measurement.</summary>
    public static RuntimeReserve For(string core)
        => All.FirstOrDefault(r => string.Equals(r.Core, core, StringComparison.OrdinalIgnoreCase)) ?? new RuntimeReserve(core, 0, 0);
}
