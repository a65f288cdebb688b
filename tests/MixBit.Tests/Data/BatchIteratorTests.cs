using MixBit.Data;
using MixBit.Tensors;

namespace MixBit.Tests.Data;

// Alone (the global-state collection): the allocation test counts this thread's bytes, which other tests running beside it
// disturbed once in a full run (7,920 B over 50 batches; 0 B when run alone).
[Collection(GlobalStateCollection.Name)]
public class BatchIteratorTests
{
    /// <summary>Decodes the sample id from a batch slot filled with identity normalisation (x = byte / 255).</summary>
    private static int IdAt(Tensor t, int slot, int sampleSize)
    {
        int lo = (int)MathF.Round(t.Data[slot * sampleSize] * 255f), hi = (int)MathF.Round(t.Data[slot * sampleSize + 1] * 255f);
        return lo | hi << 8;
    }

    private static List<int[]> Epoch(BatchIterator it, int epoch, Tensor images, int[] labels, ImageDataset data)
    {
        it.StartEpoch(epoch);
        var batches = new List<int[]>();
        int n;
        while ((n = it.Next(images, labels)) > 0)
        {
            Assert.Equal([n, data.Channels, data.Height, data.Width], images.Shape.ToArray());
            var ids = Enumerable.Range(0, n).Select(s => IdAt(images, s, data.SampleSize)).ToArray();
            Assert.Equal(it.CurrentIndices.ToArray(), ids);
            for (int s = 0; s < n; s++)
            {
                Assert.Equal(data.Label(ids[s]), labels[s]);
                for (int k = 0; k < data.SampleSize; k++)
                    Assert.Equal(data.Image(ids[s])[k] / 255f, images.Data[s * data.SampleSize + k], 1e-6f);
            }
            batches.Add(ids);
        }
        return batches;
    }

    [Fact]
    public void Every_sample_comes_exactly_once_per_epoch_with_a_smaller_last_batch()
    {
        var data = SyntheticData.Make(103, channels: 2);
        var it = new BatchIterator(data, Normalization.Identity(2), new BatchOptions(10, Seed: 5));
        var images = it.CreateImageTensor();
        var labels = it.CreateLabelBuffer();
        Assert.Equal(11, it.BatchesPerEpoch);

        var e0 = Epoch(it, 0, images, labels, data);
        var e1 = Epoch(it, 1, images, labels, data);
        foreach (var epoch in new[] { e0, e1 })
        {
            Assert.Equal(11, epoch.Count);
            Assert.Equal(3, epoch[^1].Length);
            Assert.Equal(Enumerable.Range(0, 103), epoch.SelectMany(b => b).Order());
        }
        Assert.NotEqual(e0.SelectMany(b => b), e1.SelectMany(b => b));
        // The order depends on (seed, epoch) only: a fresh iterator replays epoch 1.
        var again = new BatchIterator(data, Normalization.Identity(2), new BatchOptions(10, Seed: 5));
        Assert.Equal(e1.SelectMany(b => b), Epoch(again, 1, images, labels, data).SelectMany(b => b));
        Assert.NotEqual(e1.SelectMany(b => b),
            Epoch(new BatchIterator(data, Normalization.Identity(2), new BatchOptions(10, Seed: 6)), 1, images, labels, data).SelectMany(b => b));
    }

    [Fact]
    public void Drop_last_skips_the_partial_batch_and_evaluation_keeps_order()
    {
        var data = SyntheticData.Make(103);
        var it = new BatchIterator(data, Normalization.Identity(1), new BatchOptions(10, DropLast: true));
        var images = it.CreateImageTensor();
        var labels = it.CreateLabelBuffer();
        var batches = Epoch(it, 0, images, labels, data);
        Assert.Equal(10, it.BatchesPerEpoch);
        Assert.Equal(10, batches.Count);
        Assert.All(batches, b => Assert.Equal(10, b.Length));
        Assert.Equal(100, batches.SelectMany(b => b).Distinct().Count());

        var eval = new BatchIterator(data, Normalization.Identity(1), BatchOptions.Evaluation(32));
        Assert.Equal(Enumerable.Range(0, 103), Epoch(eval, 3, images, eval.CreateLabelBuffer(), data).SelectMany(b => b));
    }

    [Fact]
    public void Normalisation_is_applied()
    {
        var data = SyntheticData.Make(8, channels: 2, height: 3, width: 3);
        var norm = new Normalization([0.25f, 0.5f], [0.5f, 0.2f]);
        var it = new BatchIterator(data, norm, BatchOptions.Evaluation(8));
        var images = it.CreateImageTensor();
        Assert.Equal(8, it.Next(images, new int[8]));
        for (int i = 0; i < 8 * 18; i++)
        {
            int c = i / 9 % 2;
            Assert.Equal((data.Pixels[i] / 255f - norm.Mean[c]) / norm.Std[c], images.Data[i], 1e-5f);
        }
    }

    [Fact]
    public void Batches_allocate_nothing_after_warm_up()
    {
        var data = SyntheticData.Make(640, height: 28, width: 28);
        var it = new BatchIterator(data, Normalization.Identity(1), new BatchOptions(64, Augmentation: new Augmentation(2, true)));
        var images = it.CreateImageTensor();
        var labels = it.CreateLabelBuffer();
        while (it.Next(images, labels) > 0) { }
        long before = GC.GetAllocatedBytesForCurrentThread();
        int batches = 0;
        for (int epoch = 1; epoch <= 5; epoch++)
        {
            it.StartEpoch(epoch);
            while (it.Next(images, labels) > 0) batches++;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(50, batches);
        // Any object allocated per batch would cost at least 24 B x 50; the release build measures 0 B.
        Assert.True(allocated < 24 * 50, $"{allocated} B allocated over {batches} batches");
    }

    /// <summary>Reference augmentation written the obvious way: pad, crop, mirror, then normalise.</summary>
    private static float Reference(ImageDataset data, Normalization norm, Augmentation aug, int seed, int epoch, int index, int c, int y, int x)
    {
        var (dx, dy, flip) = aug.Draw(seed, epoch, index);
        if (flip) x = data.Width - 1 - x;
        int sy = y + dy, sx = x + dx;
        byte b = sy >= 0 && sy < data.Height && sx >= 0 && sx < data.Width ? data.Image(index)[(c * data.Height + sy) * data.Width + sx] : (byte)0;
        return (b / 255f - norm.Mean[c]) / norm.Std[c];
    }

    [Theory]
    [InlineData(1, 9, 7, 6)]     // small batch: sequential path
    [InlineData(3, 64, 64, 24)]  // 3*64*64*24 floats > threshold: parallel path
    public void Augmentation_matches_a_reference_and_repeats_by_seed(int channels, int height, int width, int batch)
    {
        var data = SyntheticData.Make(2 * batch, channels, height, width);
        var norm = Normalization.FromTrainingSet(data);
        var aug = new Augmentation(PadPixels: 2, HorizontalFlip: true);
        var options = new BatchOptions(batch, Seed: 11, Augmentation: aug);
        var a = new BatchIterator(data, norm, options);
        var b = new BatchIterator(data, norm, options);
        var ta = a.CreateImageTensor();
        var tb = b.CreateImageTensor();
        var labels = new int[batch];
        a.StartEpoch(4);
        b.StartEpoch(4);
        Assert.Equal(batch, a.Next(ta, labels));
        Assert.Equal(batch, b.Next(tb, labels));
        Assert.Equal(ta.Span.ToArray(), tb.Span.ToArray());

        var draws = new HashSet<(int, int, bool)>();
        for (int s = 0; s < batch; s++)
        {
            int index = a.CurrentIndices[s];
            draws.Add(aug.Draw(11, 4, index));
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                        Assert.Equal(Reference(data, norm, aug, 11, 4, index, c, y, x), ta.Data[((s * channels + c) * height + y) * width + x], 1e-5f);
        }
        Assert.True(draws.Count > 1, "augmentation never varied");
        Assert.Contains(draws, d => d.Item3);

        var other = new BatchIterator(data, norm, options with { Seed = 12 });
        other.StartEpoch(4);
        other.Next(tb, labels);
        Assert.NotEqual(ta.Span.ToArray(), tb.Span.ToArray());
    }

    [Fact]
    public void Bad_options_are_user_errors()
    {
        var data = SyntheticData.Make(10);
        Assert.Throws<MixBitException>(() => new BatchIterator(data, Normalization.Identity(1), new BatchOptions(0)));
        Assert.Throws<MixBitException>(() => new BatchIterator(data, Normalization.Identity(3), new BatchOptions(4)));
        Assert.Throws<MixBitException>(() => new BatchIterator(data, Normalization.Identity(1), new BatchOptions(4, Augmentation: new Augmentation(5))));
    }
}
