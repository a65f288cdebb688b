namespace MixBit.Nn.Specs;

/// <summary>Element-wise sum of two tensors of equal shape (residual connection).</summary>
public sealed record AddSpec : LayerSpec
{
    public override string OpName => "add";
    public override int InputCount => 2;

    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs)
    {
        if (inputs[0] != inputs[1])
            throw new ModelException($"Add needs equal shapes, got {inputs[0]} and {inputs[1]}.");
        return inputs[0];
    }
}
