namespace MixBit.Quantization;

/// <summary>
/// The integer model's bias rule (docs/INTEGER.md), shared by the fake-quant network, which adds exactly the bias the
/// integer layer adds, and by the integer converter, which stores it: a layer's accumulator counts steps of
/// S = s_in * s_w[c], so its bias is an integer number of steps, round((b + o) / S) half away from zero, where o is a
/// kept BatchNorm's t / k (the integer layer computes k * S * (sum + B), ICN) and 0 otherwise.
/// </summary>
public static class IntegerBias
{
    /// <summary>round((bias + offset) / accumulatorScale), half away from zero.</summary>
    public static double Steps(double bias, double offset, double accumulatorScale)
        => Math.Round((bias + offset) / accumulatorScale, MidpointRounding.AwayFromZero);

    /// <summary>The float bias that, added to the layer's float sum, reproduces the integer bias: Steps * S - offset.</summary>
    public static float Quantized(float bias, double offset, double accumulatorScale)
        => (float)(Steps(bias, offset, accumulatorScale) * accumulatorScale - offset);
}
