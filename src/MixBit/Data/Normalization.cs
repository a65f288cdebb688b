namespace MixBit.Data;

/// <summary>
/// Per-channel input normalisation x = (byte / 255 - Mean[c]) / Std[c], with Mean and Std measured on the
/// training set and stored with the model so that evaluation and deployment use the same values.
/// </summary>
public sealed record Normalization
{
    public Normalization(float[] mean, float[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new MixBitException($"Normalisation needs one mean and one std per channel, got {mean.Length} and {std.Length}.");
        foreach (float s in std)
            if (!(s > 0) || !float.IsFinite(s)) throw new MixBitException($"Normalisation std {s} must be positive and finite.");
        (Mean, Std) = (mean, std);
    }

    public float[] Mean { get; }
    public float[] Std { get; }
    public int Channels => Mean.Length;

    /// <summary>x = byte / 255 (mean 0, std 1).</summary>
    public static Normalization Identity(int channels) => new(new float[channels], Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>Mean and population standard deviation of byte / 255 per channel, exact from a 256-bin histogram.</summary>
    public static Normalization FromTrainingSet(ImageDataset data)
    {
        int plane = data.Height * data.Width;
        var histogram = new long[data.Channels, 256];
        var pixels = data.Pixels;
        for (int i = 0; i < data.Count; i++)
            for (int c = 0; c < data.Channels; c++)
                foreach (byte b in pixels.Slice((i * data.Channels + c) * plane, plane)) histogram[c, b]++;

        var mean = new float[data.Channels];
        var std = new float[data.Channels];
        for (int c = 0; c < data.Channels; c++)
        {
            double n = 0, sum = 0, sumSq = 0;
            for (int v = 0; v < 256; v++)
            {
                double x = v / 255.0, k = histogram[c, v];
                (n, sum, sumSq) = (n + k, sum + k * x, sumSq + k * x * x);
            }
            double m = n > 0 ? sum / n : 0;
            double s = n > 0 ? Math.Sqrt(Math.Max(0, sumSq / n - m * m)) : 1;
            mean[c] = (float)m;
            std[c] = s > 1e-6 ? (float)s : 1f; // a constant channel is only shifted
        }
        return new Normalization(mean, std);
    }

    /// <summary>Multiplier a[c] of x = a * byte + b: 1 / (255 * Std).</summary>
    public float Scale(int channel) => 1f / (255f * Std[channel]);

    /// <summary>Offset b[c] of x = a * byte + b: -Mean / Std (also the value of a zero-padded pixel).</summary>
    public float Offset(int channel) => -Mean[channel] / Std[channel];

    public override string ToString() =>
        $"mean [{string.Join(", ", Mean.Select(m => m.ToString("0.####")))}], std [{string.Join(", ", Std.Select(s => s.ToString("0.####")))}]";
}
