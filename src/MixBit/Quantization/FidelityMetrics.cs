namespace MixBit.Quantization;

/// <summary>
/// Label-free agreement of a quantized model with its float model on the same images: the fraction of images whose
/// top-1 class is the same, and the mean KL divergence KL(p_float || p_quant) of the softmax outputs (nats).
/// </summary>
public static class FidelityMetrics
{
    /// <summary>Adds one batch of logits [n, k] to running sums; returns (same top-1 count, sum of KL).</summary>
    public static (int Agree, double Kl) Compare(ReadOnlySpan<float> reference, ReadOnlySpan<float> quantized, int n, int k)
    {
        int agree = 0;
        double kl = 0;
        Span<float> p = stackalloc float[k], q = stackalloc float[k];
        for (int i = 0; i < n; i++)
        {
            var r = reference.Slice(i * k, k);
            var z = quantized.Slice(i * k, k);
            if (TensorPrimitives.IndexOfMax(r) == TensorPrimitives.IndexOfMax(z)) agree++;
            TensorPrimitives.SoftMax(r, p);
            TensorPrimitives.SoftMax(z, q);
            for (int j = 0; j < k; j++)
                if (p[j] > 0) kl += p[j] * (Math.Log(p[j]) - Math.Log(Math.Max(q[j], 1e-30f)));
        }
        return (agree, kl);
    }
}
