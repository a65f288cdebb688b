using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>[N, C, H, W] to [N, C*H*W, 1, 1]. NCHW is already flat per sample, so this is a copy of the data.</summary>
public sealed class FlattenLayer : Layer
{
    private Tensor _input = null!;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = _input = inputs[0];
        EnsureShape(Output, x.Dim(0), x.Length / x.Dim(0), 1, 1);
        x.Span.CopyTo(Output.Span);
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, _input);
        outputGradient.Span.CopyTo(dx.Span);
    }
}
