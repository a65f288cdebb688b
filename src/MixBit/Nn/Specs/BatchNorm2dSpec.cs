namespace MixBit.Nn.Specs;

/// <summary>
/// Batch normalisation over N, H, W per channel: y = scale * (x - mean) / sqrt(var + Epsilon) + shift.
/// Running statistics follow r = (1 - Momentum) * r + Momentum * batch (PyTorch convention).
/// </summary>
public sealed record BatchNorm2dSpec : LayerSpec
{
    public BatchNorm2dSpec(int channels, float epsilon = 1e-5f, float momentum = 0.1f)
    {
        if (channels <= 0) throw new ModelException("BatchNorm channels must be positive.");
        if (!(epsilon > 0)) throw new ModelException("BatchNorm epsilon must be positive.");
        (Channels, Epsilon, Momentum) = (channels, epsilon, momentum);
    }

    public int Channels { get; }
    public float Epsilon { get; }
    public float Momentum { get; }

    public override string OpName => "batchnorm";

    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs)
    {
        if (inputs[0].Channels != Channels)
            throw new ModelException($"BatchNorm expects {Channels} channels, got {inputs[0].Channels}.");
        return inputs[0];
    }

    public override IReadOnlyList<ParameterSpec> Parameters =>
    [
        new("weight", [Channels], ParameterKind.Scale),
        new("bias", [Channels], ParameterKind.Shift),
        new("running_mean", [Channels], ParameterKind.RunningMean, Trainable: false),
        new("running_var", [Channels], ParameterKind.RunningVariance, Trainable: false),
    ];
}
