namespace MixBit.Nn.Specs;

/// <summary>C x H x W to (C*H*W) x 1 x 1; the data does not move (NCHW is already flat per sample).</summary>
public sealed record FlattenSpec : LayerSpec
{
    public override string OpName => "flatten";
    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs) => new(inputs[0].Elements, 1, 1);
}
