namespace MixBit.Quantization;

/// <summary>
/// Records what a quantization point sees during calibration: the exact minimum and maximum, and an evenly strided
/// sample of at most <see cref="SamplesPerBatch"/> values per forward (enough for a 99.99th percentile and an MSE
/// search without keeping every activation of every calibration image).
/// </summary>
public sealed class ActivationObserver
{
    public const int SamplesPerBatch = 16384;

    private readonly List<float> _samples = [];

    public float Min { get; private set; } = float.PositiveInfinity;
    public float Max { get; private set; } = float.NegativeInfinity;
    public bool IsEmpty => _samples.Count == 0;
    public ReadOnlySpan<float> Samples => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_samples);

    public void Add(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return;
        Min = MathF.Min(Min, TensorPrimitives.Min(x));
        Max = MathF.Max(Max, TensorPrimitives.Max(x));
        // One value from each block of `stride` values, at a pseudo-random offset: a fixed offset would alias with the
        // NCHW layout (e.g. always the same pixel of every channel plane).
        int stride = Math.Max(1, x.Length / SamplesPerBatch);
        uint state = 0x9E3779B9u ^ (uint)_samples.Count;
        for (int start = 0; start < x.Length; start += stride)
        {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5; // xorshift32
            int i = start + (int)(state % (uint)stride);
            if (i < x.Length) _samples.Add(x[i]);
        }
    }

    /// <summary>The clip value of a quantization point at <paramref name="bits"/> (unsigned: [0, c]; signed: |x| &lt;= c).</summary>
    public float Range(RangeMethod method, int bits, bool signed, double percentile)
    {
        if (IsEmpty) throw new InvalidOperationException("The observer saw no values; run calibration first.");
        float maxAbs = signed ? MathF.Max(MathF.Abs(Min), MathF.Abs(Max)) : MathF.Max(Max, 0f);
        return method switch
        {
            RangeMethod.MinMax => maxAbs,
            RangeMethod.Percentile => MathF.Min(maxAbs, RangeSearch.AbsPercentile(Samples, percentile)),
            _ => signed
                ? maxAbs * RangeSearch.SymmetricMseRatio(Samples, bits, narrowRange: false, maxAbs)
                : RangeSearch.UnsignedMseClip(Samples, bits, maxAbs),
        };
    }
}
