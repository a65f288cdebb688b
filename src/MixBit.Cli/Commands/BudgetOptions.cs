using System.CommandLine;
using MixBit.Memory;

namespace MixBit.Cli.Commands;

/// <summary>The device options every memory-aware verb takes: a board preset, explicit sizes, and the reserves.</summary>
public sealed class BudgetOptions
{
    private const string SizeHelp = "e.g. 2MB, 1.5MB, 512kB, 512KiB or 524288 (bytes); 1 kB = 1024 B, the datasheet convention";

    public Option<string?> Board { get; } = new("--board") { Description = $"Device preset: {string.Join(", ", BoardPreset.All.Select(b => $"{b.Name} ({MemorySize.Format(b.FlashBytes)}/{MemorySize.Format(b.RamBytes)})"))}." };
    public Option<string?> Flash { get; } = new("--flash") { Description = $"Device FLASH, {SizeHelp}; overrides the board's figure." };
    public Option<string?> Ram { get; } = new("--ram") { Description = $"Device RAM, {SizeHelp}; overrides the board's figure." };
    public Option<string?> FlashReserve { get; } = new("--flash-reserve") { Description = "FLASH kept for the runtime code and constants outside the model (default 0 until measured from the ARM build)." };
    public Option<string?> RamReserve { get; } = new("--ram-reserve") { Description = "RAM kept for the stack and runtime state (default 0 until measured from the ARM build)." };

    public IEnumerable<Option> All => [Board, Flash, Ram, FlashReserve, RamReserve];

    public MemoryBudget Resolve(ParseResult p)
        => MemoryBudget.Resolve(p.GetValue(Board), p.GetValue(Flash), p.GetValue(Ram), p.GetValue(FlashReserve), p.GetValue(RamReserve));
}
