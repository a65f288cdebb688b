namespace MixBit.Quantization;

/// <summary>
/// Uniform weight quantizer of one layer, weights [OutChannels, ...] in row-major order: one grid per output channel
/// (or one for the tensor), symmetric narrow-range signed (or asymmetric with a zero point). The range is the min/max
/// of the current weights times a clip ratio; <see cref="RangeMethod.Mse"/> picks the ratio per channel once
/// (<see cref="Calibrate"/>) and training reuses it while the weights move.
/// </summary>
public sealed class WeightQuantizer(int bits, QuantizationOptions options)
{
    private float[] _ratios = [];
    // Clip ratios per bit-width, so a search that flips bits back and forth pays the MSE search once per width.
    private readonly Dictionary<int, float[]> _ratiosByBits = [];

    public int Bits { get; private set; } = bits;
    public QuantizationOptions Options => options;

    public void SetBits(int bits)
    {
        if (bits != Bits) _ratios = _ratiosByBits.GetValueOrDefault(bits) ?? [];
        Bits = bits;
    }

    /// <summary>Clip ratio per channel (or one) at the current bits; empty until calibrated.</summary>
    public IReadOnlyList<float> Ratios => _ratios;

    /// <summary>Restores clip ratios (e.g. those a fine-tuned model was trained with) for the current bits.</summary>
    public void SetRatios(float[] ratios) => _ratios = _ratiosByBits[Bits] = (float[])ratios.Clone();

    /// <summary>Chooses the clip ratios for <paramref name="weights"/> (1 for min/max, searched for MSE).</summary>
    public void Calibrate(ReadOnlySpan<float> weights, int outChannels)
    {
        int groups = options.PerChannelWeights ? outChannels : 1, len = weights.Length / groups;
        _ratios = _ratiosByBits[Bits] = new float[groups];
        for (int g = 0; g < groups; g++)
        {
            var w = weights.Slice(g * len, len);
            if (options.WeightRange != RangeMethod.Mse) { _ratios[g] = 1f; continue; }
            _ratios[g] = options.SymmetricWeights
                ? RangeSearch.SymmetricMseRatio(w, Bits, narrowRange: true, TensorPrimitives.MaxMagnitude(w) is var m ? MathF.Abs(m) : 0f)
                : RangeSearch.AsymmetricMseRatio(w, Bits, TensorPrimitives.Min(w), TensorPrimitives.Max(w));
        }
    }

    /// <summary>
    /// The grids of <paramref name="weights"/> (row-major, <paramref name="outChannels"/> rows) at the current bits and
    /// clip ratios: one per output channel, or one for the tensor. Uncalibrated ratios are chosen first.
    /// </summary>
    public UniformQuantizer[] GridsFor(ReadOnlySpan<float> weights, int outChannels)
    {
        if (options.KMeansWeights)
            throw new MixBitException("k-means weights have a codebook per layer, not a uniform grid; quantize without --kmeans.");
        int groups = options.PerChannelWeights ? outChannels : 1, len = weights.Length / groups;
        if (_ratios.Length != groups) Calibrate(weights, outChannels);
        var grids = new UniformQuantizer[groups];
        for (int g = 0; g < groups; g++)
        {
            var w = weights.Slice(g * len, len);
            float r = _ratios[g];
            grids[g] = options.SymmetricWeights
                ? UniformQuantizer.Symmetric(Bits, MathF.Abs(TensorPrimitives.MaxMagnitude(w)) * r)
                : UniformQuantizer.Asymmetric(Bits, TensorPrimitives.Min(w) * r, TensorPrimitives.Max(w) * r);
        }
        return grids;
    }

    /// <summary>
    /// Writes the fake-quantized weights into <paramref name="output"/> and, when <paramref name="inRange"/> is not
    /// empty, 1 where a weight lies inside its grid's range (the STE passes its gradient) and 0 where it was clamped.
    /// Returns the grids used (<see cref="GridsFor"/>); none for k-means weights.
    /// </summary>
    public UniformQuantizer[] Quantize(ReadOnlySpan<float> weights, int outChannels, Span<float> output, Span<float> inRange)
    {
        if (options.KMeansWeights)
        {
            inRange.Fill(1f);
            KMeansQuantizer.Quantize(weights, Bits, output);
            return [];
        }
        var grids = GridsFor(weights, outChannels);
        int len = weights.Length / grids.Length;
        for (int g = 0; g < grids.Length; g++)
        {
            var w = weights.Slice(g * len, len);
            var grid = grids[g];
            if (!inRange.IsEmpty)
            {
                // Before quantizing: output may alias weights.
                float lo = grid.Low, hi = grid.High;
                var m = inRange.Slice(g * len, len);
                for (int i = 0; i < len; i++) m[i] = w[i] >= lo && w[i] <= hi ? 1f : 0f;
            }
            grid.FakeQuantize(w, output.Slice(g * len, len));
        }
        return grids;
    }
}
