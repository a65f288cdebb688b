using MixBit.Nn.Layers;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>y = x: stands in for a BatchNorm whose work a <see cref="QuantizedWeightLayer"/> does by folding.</summary>
public sealed class IdentityLayer : Layer
{
    public override Tensor Forward(Tensor[] inputs, bool training) => inputs[0];

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, outputGradient);
        outputGradient.Span.CopyTo(dx.Span);
    }
}
