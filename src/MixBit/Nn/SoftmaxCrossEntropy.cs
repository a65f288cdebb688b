using MixBit.Tensors;

namespace MixBit.Nn;

/// <summary>
/// Mean softmax cross-entropy over a batch of logits [N, K]: L = -1/N sum log softmax(z_n)[y_n];
/// dL/dz = (softmax(z) - onehot(y)) / N. Label smoothing e spreads e/K of the target over all classes. Stable for any
/// finite logits (<see cref="Softmax"/>).
/// </summary>
public sealed class SoftmaxCrossEntropy(float labelSmoothing = 0f)
{
    public Tensor Gradient { get; } = new(0);

    /// <summary>Returns the mean loss and the number of correct arg-max predictions; fills <see cref="Gradient"/>.</summary>
    public (float Loss, int Correct) Compute(Tensor logits, ReadOnlySpan<int> labels)
    {
        int n = logits.Dim(0), k = logits.Length / n;
        if (labels.Length < n) throw new ArgumentException("Fewer labels than samples.");
        if (!Gradient.HasShape(logits.Shape)) Gradient.Reshape(logits.Shape.ToArray());
        double loss = 0;
        int correct = 0;
        float off = labelSmoothing / k, on = 1f - labelSmoothing + off;
        Span<float> logp = k <= 256 ? stackalloc float[k] : new float[k];
        for (int i = 0; i < n; i++)
        {
            var z = logits.Data.AsSpan(i * k, k);
            var g = Gradient.Data.AsSpan(i * k, k);
            int y = labels[i];
            if ((uint)y >= (uint)k) throw new ArgumentException($"Label {y} out of range for {k} classes.");
            if (TensorPrimitives.IndexOfMax(z) == y) correct++;
            // The loss from log-softmax, not log(softmax): finite even where a probability underflows to 0.
            Softmax.Log(z, logp, g);
            TensorPrimitives.Exp(logp, g);
            for (int j = 0; j < k; j++)
            {
                float target = j == y ? on : off;
                if (target > 0) loss -= target * (double)logp[j];
                g[j] = (g[j] - target) / n;
            }
        }
        return ((float)(loss / n), correct);
    }
}
