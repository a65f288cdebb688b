namespace MixBit.Nn.Specs;

/// <summary>Softmax over the channels of a flat input (C x 1 x 1). Imported models may end with it; training uses logits.</summary>
public sealed record SoftmaxSpec : LayerSpec
{
    public override string OpName => "softmax";

    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs)
    {
        if (inputs[0].Height != 1 || inputs[0].Width != 1)
            throw new ModelException($"Softmax is supported over a flat input only, got {inputs[0]}.");
        return inputs[0];
    }
}
