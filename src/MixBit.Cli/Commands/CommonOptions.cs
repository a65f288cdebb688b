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

    public static Option<string?> Data() => new("--data") { Description = Workflows.DatasetSource.Description };

    public static Option<int> Validation(int defaultCount) => new("--validation")
    {
        Description = $"Training images held out for validation (an image folder without val/: {Workflows.DatasetSource.ImageFolderValidationFraction:P0} of its training images, at most this many)",
        DefaultValueFactory = _ => defaultCount,
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
