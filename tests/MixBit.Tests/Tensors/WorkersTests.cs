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
}
