namespace MixBit.Tensors;

/// <summary>
/// Splits a loop of independent items into one contiguous chunk per worker (at most <see cref="Count"/>),
/// so per-worker scratch buffers and gradient partials can be indexed by worker id without locking.
/// </summary>
public static class Workers
{
    public static int Count { get; set; } = Math.Max(1, Environment.ProcessorCount);

    public static void For(int items, Action<int, int, int> body)
    {
        int chunks = Math.Min(Count, items);
        if (chunks <= 1) { if (items > 0) body(0, items, 0); return; }
        Parallel.For(0, chunks, w =>
        {
            int start = (int)((long)items * w / chunks), end = (int)((long)items * (w + 1) / chunks);
            body(start, end, w);
        });
    }
}
