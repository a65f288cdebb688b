using System.CommandLine;
using MixBit.Tensors;

namespace MixBit.Cli.Commands;

/// <summary>Options several verbs share.</summary>
public static class CommonOptions
{
    public static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads (default: all cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<bool> Force() => new("--force")
    {
        Description = "Replace an input file named as the output, or an earlier run's checkpoint, instead of refusing",
    };

    public static void ApplyThreads(int threads)
    {
        if (threads is < 1 or > Workers.MaxCount) throw new MixBitException($"--threads must be in 1..{Workers.MaxCount}, got {threads}.");
        Workers.Count = threads;
    }
}
