namespace MixBit.Data;

/// <summary>
/// How a <see cref="BatchIterator"/> walks a dataset: batch size, per-epoch shuffling by (Seed, epoch), whether a
/// last partial batch is dropped, and optional training-time augmentation.
/// </summary>
public sealed record BatchOptions(int BatchSize = 64, bool Shuffle = true, bool DropLast = false, int Seed = 0, Augmentation? Augmentation = null)
{
    /// <summary>In order, every sample, no augmentation: for evaluation.</summary>
    public static BatchOptions Evaluation(int batchSize = 256) => new(batchSize, Shuffle: false);
}
