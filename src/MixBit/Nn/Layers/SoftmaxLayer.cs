using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>Row-wise softmax over features (stable: <see cref="Softmax"/>); dx = y * (dy - sum(dy * y)).</summary>
public sealed class SoftmaxLayer : Layer
{
    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = inputs[0];
        ShapeLike(Output, x);
        int n = x.Dim(0), k = x.Length / n;
        for (int i = 0; i < n; i++) Softmax.Compute(x.Data.AsSpan(i * k, k), Output.Data.AsSpan(i * k, k));
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, Output);
        int n = Output.Dim(0), k = Output.Length / n;
        for (int i = 0; i < n; i++)
        {
            var y = Output.Data.AsSpan(i * k, k);
            var g = outputGradient.Data.AsSpan(i * k, k);
            var d = dx.Data.AsSpan(i * k, k);
            float dot = TensorPrimitives.Dot(g, y);
            TensorPrimitives.Subtract(g, dot, d);
            TensorPrimitives.Multiply(d, y, d);
        }
    }
}
