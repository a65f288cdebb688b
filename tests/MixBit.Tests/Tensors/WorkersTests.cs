using MixBit.Tensors;

namespace MixBit.Tests.Tensors;

[Collection(GlobalStateCollection.Name)]
public class WorkersTests
{
    [Fact]
    public void Every_item_is_visited_once_in_contiguous_chunks_also_when_nested()
    {
        var outer = new int[1000];
        var inner = new int[1000 * 10];
        int used = Workers.For(outer.Length, (start, end, worker) =>
        {
            Assert.InRange(worker, 0, Workers.MaxCount - 1);
            for (int i = start; i < end; i++)
            {
                outer[i]++;
                // A nested call runs on the calling thread and still covers its range exactly once.
                Workers.For(10, (s, e, _) => { for (int j = s; j < e; j++) Interlocked.Increment(ref inner[i * 10 + j]); });
            }
        });
        Assert.InRange(used, 1, Workers.Count);
        Assert.All(outer, v => Assert.Equal(1, v));
        Assert.All(inner, v => Assert.Equal(1, v));
    }

    [Fact]
    public void An_exception_in_a_chunk_reaches_the_caller()
    {
        var e = Assert.ThrowsAny<Exception>(() => Workers.For(100, (start, _, _) => { if (start > 0) throw new InvalidOperationException("boom"); }));
        Assert.Contains("boom", e.ToString());
        // The pool still works afterwards.
        int sum = 0;
        Workers.For(100, (s, en, _) => Interlocked.Add(ref sum, en - s));
        Assert.Equal(100, sum);
    }

    [Fact]
    public void A_loop_gets_no_more_chunks_than_its_work_is_worth_and_runs_small_ones_on_the_calling_thread()
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = 3;
            int caller = Environment.CurrentManagedThreadId;
            var threads = new List<int>();
            // Twice the minimum work: two chunks, not three; every item once.
            var seen = new int[16];
            int used = Workers.For(16, Workers.MinChunkWork / 8, (s, e, _) => { for (int i = s; i < e; i++) Interlocked.Increment(ref seen[i]); });
            Assert.Equal(2, used);
            Assert.All(seen, v => Assert.Equal(1, v));
            // Below the minimum: one chunk, on the calling thread.
            used = Workers.For(16, Workers.MinChunkWork / 32, (s, e, _) => { lock (threads) threads.Add(Environment.CurrentManagedThreadId); });
            Assert.Equal(1, used);
            Assert.Equal([caller], threads);
            // Plenty of work: one chunk per worker, as without a work estimate.
            Assert.Equal(3, Workers.For(20, Workers.MinChunkWork, (_, _, _) => { }));
            Assert.Equal(3, Workers.For(20, (_, _, _) => { }));
        }
        finally { Workers.Count = saved; }
    }

    [Fact]
    public void Shared_items_run_once_each_and_no_two_running_threads_share_a_slot()
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = 3;
            var seen = new int[1000];
            var inUse = new int[Workers.MaxCount];
            bool clash = false;
            Workers.Share(seen.Length, Workers.MinChunkWork, (s, e, slot) =>
            {
                Assert.InRange(slot, 0, Workers.Count - 1);
                if (Interlocked.Exchange(ref inUse[slot], 1) != 0) clash = true;
                for (int i = s; i < e; i++) Interlocked.Increment(ref seen[i]);
                Thread.SpinWait(100);
                Volatile.Write(ref inUse[slot], 0);
            });
            Assert.False(clash);
            Assert.All(seen, v => Assert.Equal(1, v));
            // Too little work for a second thread: one call on the calling thread.
            int caller = Environment.CurrentManagedThreadId, calls = 0;
            Workers.Share(10, 1, (s, e, slot) => { Assert.Equal(caller, Environment.CurrentManagedThreadId); Assert.Equal((0, 10, 0), (s, e, slot)); calls++; });
            Assert.Equal(1, calls);
        }
        finally { Workers.Count = saved; }
    }
}
