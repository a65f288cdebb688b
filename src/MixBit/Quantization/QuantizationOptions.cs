namespace MixBit.Quantization;

/// <summary>How a quantizer's range is chosen from observed values.</summary>
public enum RangeMethod
{
    /// <summary>The observed minimum and maximum.</summary>
    MinMax,
    /// <summary>The 99.99th percentile of |x| (activations only; outliers are clipped).</summary>
    Percentile,
    /// <summary>The clipping value that minimises the mean squared quantization error on the observed values.</summary>
    Mse,
}

/// <summary>What happens to a BatchNorm that follows a Conv2d/Linear.</summary>
public enum BatchNormMode
{
    /// <summary>Folded into the weights before they are quantized: w' = w * gamma / sqrt(var + eps), b' = beta + (b - mean) * gamma / sqrt(var + eps).</summary>
    Fold,
    /// <summary>Kept as a separate per-channel float normalisation (ICN: later an integer multiplier and shift); weights quantized unfolded.</summary>
    Keep,
}

/// <summary>Everything about fake quantization except the bit-widths (those come from the <see cref="BitPolicy"/>).</summary>
public sealed record QuantizationOptions
{
    /// <summary>One scale per output channel (default) or one per tensor.</summary>
    public bool PerChannelWeights { get; init; } = true;
    /// <summary>Symmetric narrow-range signed weights (default) or asymmetric unsigned weights with a zero point.</summary>
    public bool SymmetricWeights { get; init; } = true;
    /// <summary>Weight range: <see cref="RangeMethod.MinMax"/> or <see cref="RangeMethod.Mse"/>.</summary>
    public RangeMethod WeightRange { get; init; } = RangeMethod.MinMax;
    /// <summary>Activation range (the initial PACT clip value when fine-tuning).</summary>
    public RangeMethod ActivationRange { get; init; } = RangeMethod.Mse;
    public BatchNormMode BatchNorm { get; init; } = BatchNormMode.Fold;
    /// <summary>For comparison only: a k-means codebook of 2^bits values per layer instead of the uniform grid (<see cref="KMeansQuantizer"/>).</summary>
    public bool KMeansWeights { get; init; }
    /// <summary>Calibration uses this many batches of <see cref="CalibrationBatchSize"/> images.</summary>
    public int CalibrationBatches { get; init; } = 4;
    public int CalibrationBatchSize { get; init; } = 256;
    /// <summary>Percentile of the observed values used by <see cref="RangeMethod.Percentile"/>.</summary>
    public double Percentile { get; init; } = 99.99;

    public void Validate()
    {
        if (WeightRange == RangeMethod.Percentile)
            throw new MixBitException("Weights are calibrated by minmax or mse; percentile is for activations only.");
        if (CalibrationBatches < 1 || CalibrationBatchSize < 1)
            throw new MixBitException($"Calibration needs at least one batch of one image, got {CalibrationBatches} x {CalibrationBatchSize}.");
        if (!(Percentile > 50 && Percentile <= 100)) throw new MixBitException($"The calibration percentile must be in (50, 100], got {Percentile}.");
    }

    public static RangeMethod ParseRange(string name) => name.ToLowerInvariant() switch
    {
        "minmax" => RangeMethod.MinMax,
        "percentile" => RangeMethod.Percentile,
        "mse" => RangeMethod.Mse,
        _ => throw new MixBitException($"Unknown calibration method '{name}': use minmax, percentile or mse."),
    };

    public static BatchNormMode ParseBatchNorm(string name) => name.ToLowerInvariant() switch
    {
        "fold" => BatchNormMode.Fold,
        "keep" => BatchNormMode.Keep,
        _ => throw new MixBitException($"Unknown BatchNorm handling '{name}': use fold or keep."),
    };
}
