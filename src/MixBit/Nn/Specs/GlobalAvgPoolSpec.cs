namespace MixBit.Nn.Specs;

/// <summary>Mean over H x W per channel; output C x 1 x 1.</summary>
public sealed record GlobalAvgPoolSpec : LayerSpec
{
    public override string OpName => "gap";
    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs) => new(inputs[0].Channels, 1, 1);
}
