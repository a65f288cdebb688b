using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>y[n, c] = mean over H x W of x[n, c]; dx = dy / (H*W) broadcast.</summary>
public sealed class GlobalAvgPoolLayer : Layer
{
    private Tensor _input = null!;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = _input = inputs[0];
        int planes = x.Dim(0) * x.Dim(1), hw = x.Dim(2) * x.Dim(3);
        EnsureShape(Output, x.Dim(0), x.Dim(1), 1, 1);
        for (int p = 0; p < planes; p++) Output.Data[p] = TensorPrimitives.Sum(x.Data.AsSpan(p * hw, hw)) / hw;
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, _input);
        int planes = _input.Dim(0) * _input.Dim(1), hw = _input.Dim(2) * _input.Dim(3);
        for (int p = 0; p < planes; p++) dx.Data.AsSpan(p * hw, hw).Fill(outputGradient.Data[p] / hw);
    }
}
