namespace MixBit.Nn.Specs;

/// <summary>Inverted dropout: in training, zero with probability Rate and scale the rest by 1/(1-Rate); identity in inference.</summary>
public sealed record DropoutSpec : LayerSpec
{
    public DropoutSpec(float rate)
    {
        if (!(rate >= 0 && rate < 1)) throw new ModelException("Dropout rate must be in [0, 1).");
        Rate = rate;
    }

    public float Rate { get; }
    public override string OpName => "dropout";
    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs) => inputs[0];
}
