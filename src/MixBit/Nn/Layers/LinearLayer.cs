using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>Y[N, Out] = X[N, In] * W^T + b; dW = dY^T X, dX = dY W, db = column sums of dY.</summary>
public sealed class LinearLayer : Layer
{
    private readonly LinearSpec _spec;
    private readonly Tensor _weight, _weightGrad;
    private readonly Tensor? _bias, _biasGrad;
    private readonly ParameterSlot[] _parameters;
    private Tensor _input = null!;

    public LinearLayer(string name, LinearSpec spec, Tensor weight, Tensor? bias)
    {
        _spec = spec;
        (_weight, _bias) = (weight, bias);
        _parameters = WeightAndBiasSlots(name, weight, bias, out _weightGrad, out _biasGrad);
    }

    public LinearSpec Spec => _spec;
    public override IReadOnlyList<ParameterSlot> Parameters => _parameters;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        var x = _input = inputs[0];
        int n = x.Dim(0), fin = _spec.InFeatures, fout = _spec.OutFeatures;
        EnsureShape(Output, n, fout, 1, 1);
        if (_bias is not null)
            for (int i = 0; i < n; i++) _bias.Span.CopyTo(Output.Data.AsSpan(i * fout, fout));
        Gemm.Multiply(false, true, n, fout, fin, 1f, x.Data, fin, _weight.Data, fin, _bias is null ? 0f : 1f, Output.Data, fout);
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        int n = _input.Dim(0), fin = _spec.InFeatures, fout = _spec.OutFeatures;
        Gemm.Multiply(true, false, fout, fin, n, 1f, outputGradient.Data, fout, _input.Data, fin, 1f, _weightGrad.Data, fin);
        if (_biasGrad is not null)
            for (int i = 0; i < n; i++)
                TensorPrimitives.Add(_biasGrad.Span, outputGradient.Data.AsSpan(i * fout, fout), _biasGrad.Span);
        if (inputGradients[0] is { } dx)
        {
            ShapeLike(dx, _input);
            Gemm.Multiply(false, false, n, fin, fout, 1f, outputGradient.Data, fout, _weight.Data, fin, 0f, dx.Data, fin);
        }
    }
}
