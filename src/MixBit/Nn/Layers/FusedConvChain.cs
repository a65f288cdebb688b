using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Inference of conv + BN + ReLU as one pass: BN folded into the weights and bias,
/// w'[o] = w[o] * s[o], b'[o] = (b[o] - mean[o]) * s[o] + beta[o], s[o] = gamma[o] / sqrt(var[o] + eps),
/// and the activation applied as the clamp of the conv's epilogue. The fold is recomputed on every call
/// (it costs one pass over the weights), so it always reflects the current parameters.
/// </summary>
internal sealed class FusedConvChain(Conv2dLayer conv, BatchNorm2dLayer? bn, ReluLayer? relu)
{
    private readonly float[] _weight = new float[conv.Weight.Length];
    private readonly float[] _bias = new float[conv.Spec.OutChannels];

    public Tensor Forward(Tensor x)
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
        float hi = relu is null ? float.PositiveInfinity : relu.Spec.Max;
        float lo = relu is null ? float.NegativeInfinity : 0f;
        return conv.ForwardFused(x, _weight, _bias, lo, hi);
    }
}
