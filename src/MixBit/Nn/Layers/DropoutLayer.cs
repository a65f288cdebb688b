using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>Inverted dropout: in training y = x * m / (1 - p) with m ~ Bernoulli(1 - p); identity otherwise.</summary>
public sealed class DropoutLayer(DropoutSpec spec, int seed) : Layer
{
    private readonly Random _rng = new(seed);
    private float[] _mask = [];
    private bool _active;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = inputs[0];
        ShapeLike(Output, x);
        _active = training && spec.Rate > 0;
        if (!_active) { x.Span.CopyTo(Output.Span); return Output; }
        if (_mask.Length < x.Length) _mask = new float[x.Length];
        float keep = 1f / (1f - spec.Rate);
        for (int i = 0; i < x.Length; i++)
        {
            _mask[i] = _rng.NextSingle() >= spec.Rate ? keep : 0f;
            Output.Data[i] = x.Data[i] * _mask[i];
        }
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        if (inputGradients[0] is not { } dx) return;
        ShapeLike(dx, outputGradient);
        if (!_active) { outputGradient.Span.CopyTo(dx.Span); return; }
        TensorPrimitives.Multiply(outputGradient.Span, _mask.AsSpan(0, dx.Length), dx.Span);
    }
}
