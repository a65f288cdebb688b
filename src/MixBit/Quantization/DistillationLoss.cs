using MixBit.Nn;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>
/// Knowledge distillation (Hinton et al. 2015) from the float model: L = (1 - w) * CE(z, y) + w * T^2 * KL(p_t || p_s),
/// with p = softmax(logits / T). dL/dz = (1 - w) * dCE/dz + w * T * (p_s - p_t) / N (the T^2 keeps the soft term's
/// gradient on the scale of the hard term's).
/// </summary>
public sealed class DistillationLoss(float temperature, float weight, float labelSmoothing = 0f)
{
    private readonly SoftmaxCrossEntropy _hard = new(labelSmoothing);

    public Tensor Gradient => _hard.Gradient;

    public (float Loss, int Correct) Compute(Tensor student, Tensor teacher, ReadOnlySpan<int> labels)
    {
        var (hard, correct) = _hard.Compute(student, labels);
        int n = student.Dim(0), k = student.Length / n;
        TensorPrimitives.Multiply(Gradient.Span, 1f - weight, Gradient.Span);
        Span<float> ps = k <= 256 ? stackalloc float[k] : new float[k], pt = k <= 256 ? stackalloc float[k] : new float[k];
        double kl = 0;
        float t = temperature;
        for (int i = 0; i < n; i++)
        {
            kl += Softmax.KlDivergence(teacher.Data.AsSpan(i * k, k), student.Data.AsSpan(i * k, k), t, pt, ps);
            var g = Gradient.Data.AsSpan(i * k, k);
            for (int j = 0; j < k; j++) g[j] += weight * t * (ps[j] - pt[j]) / n;
        }
        return ((float)((1 - weight) * hard + weight * t * t * kl / n), correct);
    }
}
