using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>y = a + b; both input gradients equal dy.</summary>
public sealed class AddLayer : Layer
{
    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        ShapeLike(Output, inputs[0]);
        TensorPrimitives.Add(inputs[0].Span, inputs[1].Span, Output.Span);
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        foreach (var dx in inputGradients)
        {
            if (dx is null) continue;
            ShapeLike(dx, outputGradient);
            outputGradient.Span.CopyTo(dx.Span);
        }
    }
}
