namespace MixBit.Data;

/// <summary>
/// Training-time augmentation: a random crop after zero-padding each side by <see cref="PadPixels"/> (a shift of
/// dx, dy uniform in [-P, P], uncovered pixels read as byte 0) and, when <see cref="HorizontalFlip"/> is set,
/// a mirror with probability 1/2. Draws depend only on (seed, epoch, sample index), so runs repeat exactly.
/// </summary>
public sealed record Augmentation(int PadPixels = 0, bool HorizontalFlip = false)
{
    public static Augmentation None { get; } = new();

    public bool IsIdentity => PadPixels == 0 && !HorizontalFlip;

    /// <summary>The shift and flip drawn for one sample in one epoch.</summary>
    public (int Dx, int Dy, bool Flip) Draw(int seed, int epoch, int sampleIndex)
    {
        if (IsIdentity) return (0, 0, false);
        var rng = new SeededRandom(SeededRandom.Mix(seed ^ 0x0A06, epoch, sampleIndex));
        int span = 2 * PadPixels + 1;
        int dx = rng.Next(span) - PadPixels;
        int dy = rng.Next(span) - PadPixels;
        bool flip = HorizontalFlip && rng.Next(2) == 1;
        return (dx, dy, flip);
    }

    public void Validate(int height, int width)
    {
        if (PadPixels < 0) throw new MixBitException($"Augmentation padding {PadPixels} must not be negative.");
        if (PadPixels >= Math.Min(height, width))
            throw new MixBitException($"Augmentation padding {PadPixels} must be smaller than the {height}x{width} image.");
    }
}
