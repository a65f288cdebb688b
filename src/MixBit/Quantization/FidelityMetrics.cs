namespace MixBit.Quantization;

/// <summary>
/// Label-free agreement of a quantized model with its float model on the same images: the fraction of images whose
/// top-1 class is the same, and the mean KL divergence KL(p_float || p_quant) of the softmax outputs (nats), computed
/// stably (<see cref="Nn.Softmax"/>) so that large logits give a finite divergence.
/// </summary>
public static class FidelityMetrics
{
    /// <summary>Adds one batch of logits [n, k] to running sums; returns (same top-1 count, sum of KL).</summary>
    public static (int Agree, double Kl) Compare(ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized, int n, int k)
    {
        int agree = 0;
        double kl = 0;
        Span<float> p = k <= 256 ? stackalloc float[k] : new float[k], q = k <= 256 ? stackalloc float[k] : new float[k];
        for (int i = 0; i < n; i++)
        {
            var r = reference.Slice(i * k, k);
            var z = quantized.Slice(i * k, k);
            if (TensorPrimitives.IndexOfMax(r) == TensorPrimitives.IndexOfMax(z)) agree++;
            kl += Nn.Softmax.KlDivergence(r, z, 1f, p, q);
        }
        return (agree, kl);
    }
}
