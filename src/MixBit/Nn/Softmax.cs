namespace MixBit.Nn;

/// <summary>
/// Numerically stable softmax, log-softmax and the KL divergence between two softmax distributions. Every function
/// subtracts the row maximum first, so exp never overflows (TensorPrimitives.SoftMax does not: logits above about 88
/// give Inf / Inf = NaN) and the largest probability is exactly representable. Log-probabilities come from
/// z - max - log(sum exp(z - max)), not from log(p), so a probability that underflows to 0 still has a finite log.
/// </summary>
public static class Softmax
{
    /// <summary>p = softmax(z) (may alias).</summary>
    public static void Compute(ReadOnlySpan<float> z, Span<float> p)
    {
        float max = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, max, p);
        TensorPrimitives.Exp(p, p);
        // The max term contributes exp(0) = 1, so the sum is >= 1 for finite input: no division by zero.
        TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
    }

    /// <summary>logp = log softmax(z) (logp may alias z); <paramref name="scratch"/> has z's length and aliases neither.</summary>
    public static void Log(ReadOnlySpan<float> z, Span<float> logp, Span<float> scratch)
    {
        float max = TensorPrimitives.Max(z);
        // (z - max) - log(sum): subtracting max first keeps the small differences exact when the logits are large.
        TensorPrimitives.Subtract(z, max, logp);
        TensorPrimitives.Exp(logp, scratch);
        TensorPrimitives.Subtract(logp, MathF.Log(TensorPrimitives.Sum(scratch)), logp);
    }

    /// <summary>
    /// KL(softmax(a / t) || softmax(b / t)) in nats, with <paramref name="p"/> = softmax(a / t) and
    /// <paramref name="q"/> = softmax(b / t) left in the buffers (each of the logits' length) for gradients.
    /// </summary>
    public static double KlDivergence(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float temperature, Span<float> p, Span<float> q)
    {
        int k = a.Length;
        Span<float> logP = k <= 256 ? stackalloc float[k] : new float[k];
        Span<float> logQ = k <= 256 ? stackalloc float[k] : new float[k];
        TensorPrimitives.Divide(a, temperature, logP);
        TensorPrimitives.Divide(b, temperature, logQ);
        Log(logP, logP, p);
        Log(logQ, logQ, q);
        TensorPrimitives.Exp(logP, p);
        TensorPrimitives.Exp(logQ, q);
        double kl = 0;
        // p * (log p - log q): both logs are finite, and a p that underflows to 0 contributes its limit 0.
        for (int j = 0; j < k; j++) kl += p[j] * ((double)logP[j] - logQ[j]);
        return kl;
    }
}
