using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>y = clamp(x, 0, Max); dx = dy where 0 &lt; x &lt; Max, else 0.</summary>
public sealed class ReluLayer(ReluSpec spec) : Layer
{
    private Tensor _input = null!;

    public ReluSpec Spec => spec;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = _input = inputs[0];
        ShapeLike(Output, x);
        if (spec.IsBounded) TensorPrimitives.Clamp(x.Span, 0f, spec.Max, Output.Span);
        else TensorPrimitives.Max(x.Span, 0f, Output.Span);
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, _input);
        float max = spec.Max;
        Workers.Share(_input.Length, 1, (start, end, _) =>
        {
            VectorOps.MaskedCopy(_input.Data.AsSpan(start, end - start), outputGradient.Data.AsSpan(start, end - start),
                0f, max, dx.Data.AsSpan(start, end - start));
        });
    }
}
