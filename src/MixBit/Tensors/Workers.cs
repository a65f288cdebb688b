namespace MixBit.Tensors;

/// <summary>
/// Splits a loop of independent items into one contiguous chunk per worker (at most <see cref="Count"/>),
/// so per-worker scratch buffers and gradient partials can be indexed by worker id without locking.
/// </summary>
public static class Workers
{
    /// <summary>Upper bound of <see cref="Count"/>; per-worker buffers are sized for it, so Count may change at any time.</summary>
    public const int MaxCount = 64;

    private static int _count = Math.Clamp(Environment.ProcessorCount, 1, MaxCount);

    public static int Count
    {
        get => _count;
        set => _count = value is >= 1 and <= MaxCount
            ? value : throw new MixBitException($"The number of threads must be between 1 and {MaxCount}, got {value}.");
    }

    /// <summary>Runs body(start, end, worker) over [0, items) in chunks; returns the number of workers used.</summary>
    public static int For(int items, Action<int, int, int> body)
    {
        int chunks = Math.Min(Count, items);
        if (chunks <= 1) { if (items > 0) body(0, items, 0); return Math.Min(items, 1); }
        Parallel.For(0, chunks, w =>
        {
            int start = (int)((long)items * w / chunks), end = (int)((long)items * (w + 1) / chunks);
            body(start, end, w);
        });
        return chunks;
    }
}
