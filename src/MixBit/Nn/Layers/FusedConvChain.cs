using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Inference of conv + BN + ReLU as one pass: BN folded into the weights and bias,
/// w'[o] = w[o] * s[o], b'[o] = (b[o] - mean[o]) * s[o] + beta[o], s[o] = gamma[o] / sqrt(var[o] + eps),
/// and the activation applied as the clamp of the conv's epilogue. The fold is recomputed on every call (one pass over
/// the weights, a third of a batch-1 inference of the default model) unless the caller promises that the parameters
/// have not changed since the last call (<see cref="Network.ParametersFrozen"/>).
/// </summary>
internal sealed class FusedConvChain(Conv2dLayer conv, BatchNorm2dLayer? bn, ReluLayer? relu)
{
    private readonly float[] _weight = new float[conv.Weight.Length];
    private readonly float[] _bias = new float[conv.Spec.OutChannels];

    private int _foldedIn; // the frozen period whose parameters the fold holds; 0: none

    /// <param name="frozenPeriod">0, or the number of the period in which the parameters are frozen: a fold made in the
    /// same period is kept.</param>
    public Tensor Forward(Tensor x, int frozenPeriod)
    {
        if (frozenPeriod == 0 || frozenPeriod != _foldedIn) Fold();
        _foldedIn = frozenPeriod;
        float hi = relu is null ? float.PositiveInfinity : relu.Spec.Max;
        float lo = relu is null ? float.NegativeInfinity : 0f;
        return conv.ForwardFused(x, _weight, _bias, lo, hi, frozenPeriod);
    }

    private void Fold()
    {
        int cout = conv.Spec.OutChannels, perChannel = conv.Weight.Length / cout;
        var w = conv.Weight.Data;
        for (int o = 0; o < cout; o++)
        {
            float b = conv.Bias?.Data[o] ?? 0f, scale = 1f;
            if (bn is not null)
            {
                scale = bn.Gamma.Data[o] / MathF.Sqrt(bn.RunningVariance.Data[o] + bn.Spec.Epsilon);
                b = (b - bn.RunningMean.Data[o]) * scale + bn.Beta.Data[o];
            }
            TensorPrimitives.Multiply(w.AsSpan(o * perChannel, perChannel), scale, _weight.AsSpan(o * perChannel, perChannel));
            _bias[o] = b;
        }
    }
}
