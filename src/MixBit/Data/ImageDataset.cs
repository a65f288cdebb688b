namespace MixBit.Data;

/// <summary>
/// A labelled image set held as bytes: <see cref="Count"/> images of <see cref="Channels"/> x <see cref="Height"/>
/// x <see cref="Width"/> (CHW, row-major) in one array, one label in [0, <see cref="ClassCount"/>) per image.
/// Immutable; <see cref="Subset"/> and <see cref="Split"/> copy into new datasets.
/// </summary>
public sealed class ImageDataset
{
    private readonly byte[] _pixels;
    private readonly int[] _labels;

    public ImageDataset(byte[] pixels, int[] labels, int channels, int height, int width, int classCount, IReadOnlyList<string>? classNames = null)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new MixBitException($"Image shape {channels}x{height}x{width} is invalid: every dimension must be positive.");
        if (classCount < 2) throw new MixBitException($"A dataset needs at least 2 classes, got {classCount}.");
        long sample = (long)channels * height * width;
        if ((long)labels.Length * sample != pixels.Length)
            throw new MixBitException($"{labels.Length} labels need {labels.Length * sample:N0} pixel bytes of {channels}x{height}x{width} images, got {pixels.Length:N0}: the image and label files do not match.");
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classCount)
                throw new MixBitException($"Label {labels[i]} of sample {i} is outside 0..{classCount - 1}: the label file does not match a {classCount}-class dataset.");
        if (classNames is not null && classNames.Count != classCount)
            throw new MixBitException($"{classNames.Count} class names given for {classCount} classes.");
        (_pixels, _labels, Channels, Height, Width, ClassCount) = (pixels, labels, channels, height, width, classCount);
        ClassNames = classNames ?? Enumerable.Range(0, classCount).Select(c => c.ToString()).ToArray();
    }

    public int Count => _labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ClassCount { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Bytes per image, C * H * W.</summary>
    public int SampleSize => Channels * Height * Width;

    public ReadOnlySpan<byte> Pixels => _pixels;
    public ReadOnlySpan<int> Labels => _labels;
    public ReadOnlySpan<byte> Image(int index) => _pixels.AsSpan(checked(index * SampleSize), SampleSize);
    public int Label(int index) => _labels[index];

    /// <summary>A copy holding the given samples in the given order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices)
    {
        int size = SampleSize;
        var pixels = new byte[(long)indices.Count * size];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int src = indices[i];
            if ((uint)src >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Sample {src} is outside 0..{Count - 1}.");
            _pixels.AsSpan(src * size, size).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = _labels[src];
        }
        return new ImageDataset(pixels, labels, Channels, Height, Width, ClassCount, ClassNames);
    }

    /// <summary>
    /// Deterministic split: a seeded permutation picks <paramref name="validationCount"/> samples for validation,
    /// the rest train; both keep the original order. The same seed always gives the same, disjoint split.
    /// </summary>
    public (ImageDataset Train, ImageDataset Validation) Split(int validationCount, int seed)
    {
        if (validationCount < 0 || validationCount >= Count)
            throw new MixBitException($"Validation size {validationCount} must be between 0 and {Count - 1} (the dataset has {Count} samples).");
        var order = Enumerable.Range(0, Count).ToArray();
        new SeededRandom(SeededRandom.Mix(seed, 0x5E1)).Shuffle(order);
        var validation = order[..validationCount];
        var train = order[validationCount..];
        Array.Sort(validation);
        Array.Sort(train);
        return (Subset(train), Subset(validation));
    }

    /// <summary>Number of samples of each class.</summary>
    public int[] ClassHistogram()
    {
        var counts = new int[ClassCount];
        foreach (int label in _labels) counts[label]++;
        return counts;
    }
}
