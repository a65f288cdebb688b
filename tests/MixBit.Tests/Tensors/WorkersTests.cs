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
}
