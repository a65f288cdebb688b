using MixBit.Nn.Layers;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>
/// Wraps a node's float layer with fake quantizers: of its input (the network input, 8-bit) and/or of its output
/// (a quantized layer's output after its fused BN and activation, an Add, a pool). Composite: forward is
/// input quantizer, layer, output quantizer; backward runs the same parts in reverse.
/// </summary>
public sealed class FakeQuantLayer : Layer
{
    private readonly Layer _inner;
    private readonly Tensor _quantizedInput = new(0), _innerGrad = new(0), _inputGradScratch = new(0);
    private readonly Tensor[] _innerInputs;
    private readonly Tensor?[] _innerGrads;
    private readonly ParameterSlot[] _parameters;
    private Tensor _input = null!, _innerOutput = null!;

    public FakeQuantLayer(Layer inner, int inputCount, ActivationQuantizer? input, ActivationQuantizer? output)
    {
        (_inner, InputQuantizer, OutputQuantizer) = (inner, input, output);
        _innerInputs = new Tensor[inputCount];
        _innerGrads = new Tensor?[inputCount];
        _parameters = inner.Parameters
            .Concat(new[] { input?.Parameter, output?.Parameter }.OfType<ParameterSlot>()).ToArray();
    }

    public Layer Inner => _inner;
    public ActivationQuantizer? InputQuantizer { get; }
    public ActivationQuantizer? OutputQuantizer { get; }
    public override IReadOnlyList<ParameterSlot> Parameters => _parameters;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        inputs.CopyTo(_innerInputs, 0);
        if (InputQuantizer is not null)
        {
            _input = inputs[0];
            InputQuantizer.Forward(inputs[0], _quantizedInput);
            _innerInputs[0] = _quantizedInput;
        }
        _innerOutput = _inner.Forward(_innerInputs, training);
        if (OutputQuantizer is null) return _innerOutput;
        OutputQuantizer.Forward(_innerOutput, Output);
        return Output;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        var dy = outputGradient;
        if (OutputQuantizer is not null)
        {
            OutputQuantizer.Backward(_innerOutput, Output, outputGradient, _innerGrad);
            dy = _innerGrad;
        }
        inputGradients.CopyTo(_innerGrads, 0);
        if (InputQuantizer is not null && inputGradients[0] is not null) _innerGrads[0] = _inputGradScratch;
        _inner.Backward(dy, _innerGrads);
        if (InputQuantizer is not null && inputGradients[0] is { } dx)
            InputQuantizer.Backward(_input, _quantizedInput, _inputGradScratch, dx);
    }
}
