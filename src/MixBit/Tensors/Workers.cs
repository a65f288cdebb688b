using System.Runtime.ExceptionServices;

namespace MixBit.Tensors;

/// <summary>
/// Splits a loop of independent items into one contiguous chunk per worker (at most <see cref="Count"/>), so
/// per-worker scratch buffers and gradient partials can be indexed by worker id without locking. Chunks run on a
/// small pool of persistent threads (the caller runs chunk 0), which costs no allocation per call beyond the
/// caller's delegate. A call from another thread while the pool is busy uses Parallel.For; a nested call (from inside
/// a chunk) runs its items in one chunk on the calling thread.
/// </summary>
public static class Workers
{
    /// <summary>Upper bound of <see cref="Count"/>; per-worker buffers are sized for it, so Count may change at any time.</summary>
    public const int MaxCount = 64;

    private static int _count = Math.Clamp(Environment.ProcessorCount, 1, MaxCount);
    private static WorkerPool? _pool;
    private static readonly object PoolLock = new();
    [ThreadStatic] private static bool _insideChunk;

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
        if (chunks <= 1 || _insideChunk) { if (items > 0) body(0, items, 0); return Math.Min(items, 1); }
        if (Monitor.TryEnter(PoolLock))
        {
            try
            {
                if (_pool is null || _pool.Size < chunks) { _pool?.Dispose(); _pool = new WorkerPool(Count); }
                _pool.Run(chunks, items, body);
            }
            finally { Monitor.Exit(PoolLock); }
            return chunks;
        }
        Parallel.For(0, chunks, w => { var (s, e) = Range(items, chunks, w); body(s, e, w); });
        return chunks;
    }

    internal static (int Start, int End) Range(int items, int chunks, int w)
        => ((int)((long)items * w / chunks), (int)((long)items * (w + 1) / chunks));

    /// <summary>Size - 1 background threads, each woken by its own semaphore; the caller works as worker 0.</summary>
    private sealed class WorkerPool : IDisposable
    {
        private readonly SemaphoreSlim[] _start;
        private readonly CountdownEvent _done = new(1);
        private Action<int, int, int>? _body;
        private int _items, _chunks;
        private ExceptionDispatchInfo? _error;
        private volatile bool _disposed;

        public WorkerPool(int size)
        {
            Size = size;
            _start = new SemaphoreSlim[size - 1];
            for (int i = 0; i < _start.Length; i++)
            {
                _start[i] = new SemaphoreSlim(0);
                int worker = i + 1;
                new Thread(() => Loop(worker)) { IsBackground = true, Name = $"MixBit worker {worker}" }.Start();
            }
        }

        public int Size { get; }

        public void Run(int chunks, int items, Action<int, int, int> body)
        {
            (_body, _items, _chunks, _error) = (body, items, chunks, null);
            _done.Reset(chunks - 1);
            for (int w = 1; w < chunks; w++) _start[w - 1].Release();
            _insideChunk = true;
            try { RunChunk(0); }
            finally { _insideChunk = false; _done.Wait(); _body = null; }
            _error?.Throw();
        }

        private void RunChunk(int w)
        {
            var (s, e) = Range(_items, _chunks, w);
            _body!(s, e, w);
        }

        private void Loop(int worker)
        {
            var start = _start[worker - 1];
            _insideChunk = true;
            while (true)
            {
                start.Wait();
                if (_disposed) return;
                try { RunChunk(worker); }
                catch (Exception e) { _error ??= ExceptionDispatchInfo.Capture(e); }
                finally { _done.Signal(); }
            }
        }

        public void Dispose()
        {
            _disposed = true;
            foreach (var s in _start) s.Release();
        }
    }
}
