namespace MixBit.Nn.Specs;

/// <summary>Fully connected layer y = W x + b, weight [OutFeatures, InFeatures]. Input must be flat (C x 1 x 1).</summary>
public sealed record LinearSpec : LayerSpec
{
    public LinearSpec(int inFeatures, int outFeatures, bool hasBias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ModelException("Linear features must be positive.");
        (InFeatures, OutFeatures, HasBias) = (inFeatures, outFeatures, hasBias);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public bool HasBias { get; }
    public int WeightCount => InFeatures * OutFeatures;

    public override string OpName => "linear";

    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs)
    {
        if (inputs[0].Elements != InFeatures || inputs[0].Height != 1 || inputs[0].Width != 1)
            throw new ModelException($"Linear expects a flat input of {InFeatures} features, got {inputs[0]}; add a Flatten first.");
        return new(OutFeatures, 1, 1);
    }

    public override IReadOnlyList<ParameterSpec> Parameters => HasBias
        ? [new("weight", [OutFeatures, InFeatures], ParameterKind.Weight), new("bias", [OutFeatures], ParameterKind.Bias)]
        : [new("weight", [OutFeatures, InFeatures], ParameterKind.Weight)];

    public override long Macs(IReadOnlyList<ActivationShape> inputs) => WeightCount;
}
