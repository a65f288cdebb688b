using MixBit.Tensors;

namespace MixBit.Data;

/// <summary>
/// Fills a caller-owned, reused NCHW <see cref="Tensor"/> [B, C, H, W] and label buffer with normalised (and
/// optionally augmented) batches. Each epoch visits every sample once, in an order that depends only on
/// (seed, epoch). The last partial batch reshapes the tensor to the smaller batch, or is dropped with
/// <see cref="BatchOptions.DropLast"/>. Nothing is allocated per batch (on the sequential path); large batches
/// are converted in parallel over images.
/// </summary>
public sealed class BatchIterator
{
    /// <summary>Floats per batch above which images are converted in parallel (below it the fork costs more than it saves).</summary>
    private const int ParallelThreshold = 1 << 18;

    private readonly ImageDataset _data;
    private readonly BatchOptions _options;
    private readonly Augmentation _augmentation;
    private readonly float[] _scale;
    private readonly float[] _offset;
    private readonly int[] _order;
    private readonly Action<int> _fillSample;
    private int _position;
    private int _batchStart;
    private int _batchCount;
    private float[] _target = [];

    public BatchIterator(ImageDataset data, Normalization normalization, BatchOptions options)
    {
        if (options.BatchSize <= 0) throw new MixBitException($"Batch size {options.BatchSize} must be positive.");
        if (normalization.Channels != data.Channels)
            throw new MixBitException($"Normalisation has {normalization.Channels} channels, the images have {data.Channels}.");
        _augmentation = options.Augmentation ?? Augmentation.None;
        _augmentation.Validate(data.Height, data.Width);
        (_data, _options) = (data, options);
        _scale = Enumerable.Range(0, data.Channels).Select(normalization.Scale).ToArray();
        _offset = Enumerable.Range(0, data.Channels).Select(normalization.Offset).ToArray();
        _order = new int[data.Count];
        _fillSample = FillSample;
        StartEpoch(0);
    }

    public int BatchSize => _options.BatchSize;
    public int Epoch { get; private set; }

    public int BatchesPerEpoch => _options.DropLast ? _data.Count / BatchSize : (_data.Count + BatchSize - 1) / BatchSize;
    public int SamplesPerEpoch => _options.DropLast ? _data.Count / BatchSize * BatchSize : _data.Count;

    /// <summary>Dataset indices of the samples in the batch last returned by <see cref="Next"/>.</summary>
    public ReadOnlySpan<int> CurrentIndices => _order.AsSpan(_batchStart, _batchCount);

    public Tensor CreateImageTensor() => new(BatchSize, _data.Channels, _data.Height, _data.Width);
    public int[] CreateLabelBuffer() => new int[BatchSize];

    /// <summary>Rewinds to the first batch of <paramref name="epoch"/>; the order is a function of (seed, epoch) only.</summary>
    public void StartEpoch(int epoch)
    {
        Epoch = epoch;
        _position = _batchStart = _batchCount = 0;
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (_options.Shuffle) new SeededRandom(SeededRandom.Mix(_options.Seed, epoch)).Shuffle(_order);
    }

    /// <summary>
    /// Fills the next batch; returns its size, or 0 when the epoch is over. <paramref name="images"/> is reshaped
    /// to [n, C, H, W] only when its shape differs (at the last partial batch and the first batch after it).
    /// </summary>
    public int Next(Tensor images, Span<int> labels)
    {
        int count = Math.Min(BatchSize, _data.Count - _position);
        if (count <= 0 || (_options.DropLast && count < BatchSize)) return 0;
        if (labels.Length < count) throw new ArgumentException($"Label buffer holds {labels.Length}, the batch has {count}.", nameof(labels));

        int c = _data.Channels, h = _data.Height, w = _data.Width;
        if (!images.HasShape([count, c, h, w])) images.Reshape(count, c, h, w);
        (_batchStart, _batchCount, _target) = (_position, count, images.Data);
        _position += count;

        if ((long)count * _data.SampleSize >= ParallelThreshold) Parallel.For(0, count, _fillSample);
        else for (int slot = 0; slot < count; slot++) FillSample(slot);

        for (int slot = 0; slot < count; slot++) labels[slot] = _data.Label(_order[_batchStart + slot]);
        return count;
    }

    private void FillSample(int slot)
    {
        int index = _order[_batchStart + slot];
        int size = _data.SampleSize, plane = _data.Height * _data.Width, width = _data.Width;
        var source = _data.Image(index);
        var destination = _target.AsSpan(slot * size, size);
        var (dx, dy, flip) = _augmentation.Draw(_options.Seed, Epoch, index);

        for (int c = 0; c < _data.Channels; c++)
        {
            var src = source.Slice(c * plane, plane);
            var dst = destination.Slice(c * plane, plane);
            if (dx == 0 && dy == 0 && !flip)
            {
                PixelConversion.Convert(src, dst, _scale[c], _offset[c]);
                continue;
            }
            // out(y, x) = in(y + dy, x + dx), or the padded value where that is outside; then mirror the row.
            int x0 = Math.Max(0, -dx), x1 = Math.Min(width, width - dx);
            for (int y = 0; y < _data.Height; y++)
            {
                var row = dst.Slice(y * width, width);
                int sy = y + dy;
                if (sy < 0 || sy >= _data.Height || x0 >= x1) { row.Fill(_offset[c]); continue; }
                row[..x0].Fill(_offset[c]);
                PixelConversion.Convert(src.Slice(sy * width + x0 + dx, x1 - x0), row[x0..x1], _scale[c], _offset[c]);
                row[x1..].Fill(_offset[c]);
                if (flip) row.Reverse();
            }
        }
    }
}
