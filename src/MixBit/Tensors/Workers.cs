using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace MixBit.Tensors;

/// <summary>
/// Runs loops of independent items on the calling thread and a small pool of persistent threads, with no more threads
/// than the work is worth (<see cref="MinChunkWork"/>). Two kinds of loop: <see cref="For(int, long, Action{int, int, int})"/>
/// cuts the items into one contiguous chunk per thread, fixed by (items, work, Count) alone, so per-chunk gradient
/// partials indexed by the chunk id sum in the same order whatever the timing; <see cref="Share"/> cuts them into small
/// grains that threads take as they come, for loops that write disjoint outputs. Either way any thread may run any
/// chunk, and a pool thread the machine has not scheduled yet (other processes on the cores, or more threads than
/// cores) finds nothing left to take and nobody waits for it, so more threads never make a loop slower. No allocation
/// per call beyond the job object and the caller's delegate. A call from another thread while the pool is busy uses
/// Parallel.For; a nested call (from inside a chunk) runs its items in one chunk on the calling thread.
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

    /// <summary>
    /// The least work, in multiply-adds (an element of a copy or an element-wise pass counts as one), that is worth a
    /// thread of its own: about 2 microseconds of one core here. Handing work to a pool thread and waiting for it costs
    /// about a microsecond when the thread is awake (it stays awake between the layers of a pass) and much more when it
    /// slept, so smaller loops run on the calling thread (batch-1 inference of the default model was slower on two
    /// threads than on one while every layer was split).
    /// </summary>
    public const long MinChunkWork = 1 << 15;

    /// <summary>Runs body(start, end, worker) over [0, items) in chunks; returns the number of chunks (worker ids 0 .. n-1).</summary>
    public static int For(int items, Action<int, int, int> body) => Run(items, Math.Min(Count, items), body);

    /// <summary>
    /// As <see cref="For(int, Action{int, int, int})"/>, with no more chunks than the work allows at
    /// <see cref="MinChunkWork"/> each (at least one): a function of (items, work, Count) alone.
    /// </summary>
    public static int For(int items, long workPerItem, Action<int, int, int> body) => Run(items, ThreadsFor(items, workPerItem), body);

    /// <summary>Threads worth giving a loop: at most one per item and per <see cref="MinChunkWork"/> of work, at least one.</summary>
    private static int ThreadsFor(int items, long workPerItem)
        => (int)Math.Min(Math.Min(Count, items), Math.Max(1, (long)items * Math.Max(1, workPerItem) / MinChunkWork));

    /// <summary>
    /// Runs body(start, end, slot) over [0, items) when the items write disjoint outputs and nothing depends on which
    /// thread runs which: the threads (as many as the work allows at <see cref="MinChunkWork"/> each) take small grains
    /// of items as they come, so a thread that starts late or runs slower (another process on its core) leaves the rest
    /// to the others instead of being waited for. <c>slot</c> (0 .. Count-1) is unique among the threads running at the
    /// same time, for per-thread scratch; it is not a chunk index, and which items a slot runs varies from call to call,
    /// so per-slot partial sums would not be reproducible (use <see cref="For(int, long, Action{int, int, int})"/> for those).
    /// </summary>
    public static void Share(int items, long workPerItem, Action<int, int, int> body)
    {
        int threads = ThreadsFor(items, workPerItem);
        Run(items, threads, body, grains: Math.Min(items, GrainsPerThread * threads));
    }

    private const int GrainsPerThread = 4;

    private static int Run(int items, int chunks, Action<int, int, int> body, int grains = 0)
    {
        if (chunks <= 1 || _insideChunk) { if (items > 0) body(0, items, 0); return Math.Min(items, 1); }
        if (Monitor.TryEnter(PoolLock))
        {
            try
            {
                if (_pool is null || _pool.Size < chunks) { _pool?.Dispose(); _pool = new WorkerPool(Count); }
                _pool.Run(new Job(body, items, grains > 0 ? grains : chunks, chunks, bySlot: grains > 0));
            }
            finally { Monitor.Exit(PoolLock); }
            return chunks;
        }
        Parallel.For(0, chunks, w => { var (s, e) = Range(items, chunks, w); body(s, e, w); });
        return chunks;
    }

    internal static (int Start, int End) Range(int items, int chunks, int w)
        => ((int)((long)items * w / chunks), (int)((long)items * (w + 1) / chunks));

    /// <summary>
    /// One call: its chunks (fixed ranges; the body gets the chunk index, or with <paramref name="bySlot"/> the running
    /// thread's slot), the threads it wants, the next chunk to take and how many are unfinished; finishing the last one
    /// wakes the caller.
    /// </summary>
    private sealed class Job(Action<int, int, int> body, int items, int chunks, int threads, bool bySlot)
    {
        private int _next, _unfinished = chunks;
        public int Chunks { get; } = chunks;
        public int Threads { get; } = threads;
        private ExceptionDispatchInfo? _error;

        /// <summary>Takes and runs chunks until none is left; <paramref name="slot"/>: 0 for the caller, i for pool thread i.</summary>
        public void Work(int slot)
        {
            int c;
            while ((c = Interlocked.Increment(ref _next) - 1) < Chunks)
            {
                var (s, e) = Range(items, Chunks, c);
                try { body(s, e, bySlot ? slot : c); }
                catch (Exception ex) { Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(ex), null); }
                if (Interlocked.Decrement(ref _unfinished) == 0)
                    lock (this) Monitor.PulseAll(this);
            }
        }

        /// <summary>
        /// Waits until every chunk has finished (those other threads took), then rethrows the first error. The other
        /// threads are at work on this job, so it polls for up to <see cref="WaitSpinTicks"/> before it sleeps: a sleeping
        /// caller is woken tens of microseconds after the last chunk ends, as long as a small layer takes at batch 1.
        /// </summary>
        public void Finish()
        {
            if (Volatile.Read(ref _unfinished) > 0)
            {
                long until = Stopwatch.GetTimestamp() + WaitSpinTicks;
                while (Volatile.Read(ref _unfinished) > 0 && Stopwatch.GetTimestamp() < until) Thread.SpinWait(8);
                if (Volatile.Read(ref _unfinished) > 0)
                    lock (this)
                        while (Volatile.Read(ref _unfinished) > 0) Monitor.Wait(this);
            }
            _error?.Throw();
        }

        private static readonly long WaitSpinTicks = Stopwatch.Frequency / 5_000; // 200 microseconds
    }

    /// <summary>Size - 1 background threads, each woken by its own semaphore with the job in its mailbox; the caller works too.</summary>
    private sealed class WorkerPool : IDisposable
    {
        private static readonly long SpinTicks = Stopwatch.Frequency / 10_000; // 100 microseconds
        private readonly SemaphoreSlim[] _start;
        private readonly Job?[] _mail;
        private volatile bool _disposed;

        public WorkerPool(int size)
        {
            Size = size;
            _start = new SemaphoreSlim[size - 1];
            _mail = new Job?[size - 1];
            for (int i = 0; i < _start.Length; i++)
            {
                _start[i] = new SemaphoreSlim(0);
                int slot = i;
                new Thread(() => Loop(slot)) { IsBackground = true, Name = $"MixBit worker {slot + 1}" }.Start();
            }
        }

        public int Size { get; }

        public void Run(Job job)
        {
            for (int w = 0; w < job.Threads - 1; w++)
            {
                Volatile.Write(ref _mail[w], job);
                _start[w].Release();
            }
            _insideChunk = true;
            try { job.Work(0); }
            finally { _insideChunk = false; }
            job.Finish();
        }

        /// <remarks>Compiled optimised from the start: the thread enters this loop once and never leaves it, so tiered
        /// compilation would run its polling as unoptimised code until on-stack replacement (seen in perf).</remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Loop(int slot)
        {
            var start = _start[slot];
            _insideChunk = true;
            while (true)
            {
                start.Wait();
                if (_disposed) return;
                // A thread woken late may find a newer job than the one it was woken for, or none: either is fine.
                Interlocked.Exchange(ref _mail[slot], null)?.Work(slot + 1);
                StayAwake(start);
            }
        }

        /// <summary>
        /// Polls for the next job for up to <see cref="SpinTicks"/> before the pool thread goes back to sleep on its semaphore:
        /// the layers of one pass come microseconds apart, and waking a sleeping thread takes about as long as a small
        /// layer's work, so a thread that slept between layers would join each one late (batch 1 ran slower on two
        /// threads than on one). Returns as soon as a job is posted (the semaphore's count is then above zero).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void StayAwake(SemaphoreSlim start)
        {
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while (start.CurrentCount == 0 && !_disposed && Stopwatch.GetTimestamp() < until) Thread.SpinWait(16);
        }

        public void Dispose()
        {
            _disposed = true;
            foreach (var s in _start) s.Release();
        }
    }
}
