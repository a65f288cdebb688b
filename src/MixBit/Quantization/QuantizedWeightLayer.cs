using MixBit.Nn.Layers;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>
/// A Conv2d/Linear whose weights are fake-quantized. The float master weights (and bias, and, when a BatchNorm is
/// folded in, gamma and beta) are the trainable parameters; the inner float layer runs on the effective quantized
/// copy. With k[c] = gamma[c] / sqrt(var[c] + eps) when folding (else k = 1):
/// w_eff = Q(w * k), b_eff = beta + (b - mean) * k (folding) or b. Backward, from the inner layer's gradients
/// gW, gB: g = gW * (clamp mask) (STE), dw = g * k, dgamma[c] = sum(g[c] * w[c]) / sigma[c] + gB[c] * (b - mean)[c] / sigma[c],
/// dbeta = gB, db = gB * k. Statistics of a folded BN keep updating in training until <see cref="FreezeStatistics"/> is set
/// (estimated from the batch output: mean = (mean_y - b_eff) / k, var = var_y / k^2), and never receive gradients.
/// With <see cref="InputScale"/> set (the fake-quant network sets it), the bias is the integer model's: a whole number
/// of accumulator steps s_in * s_w[c] (<see cref="IntegerBias"/>, straight-through in backward), so fake quantization and
/// the integer model differ only by the rounding of float sums.
/// </summary>
public sealed class QuantizedWeightLayer : Layer
{
    private readonly Layer _inner;
    private readonly Tensor _weight, _weightGrad, _effWeight, _mask;
    private readonly Tensor? _bias, _biasGrad;
    private readonly Tensor _effBias;
    private readonly BatchNormParameters? _bn;
    private readonly Tensor? _gammaGrad, _betaGrad;
    private readonly float[] _k;
    private readonly int _outChannels;
    private readonly ParameterSlot[] _parameters;
    private readonly ParameterSlot _innerWeightSlot;
    private readonly ParameterSlot _innerBiasSlot;
    private bool _stale = true;
    private float? _usedInputScale;

    public QuantizedWeightLayer(string name, LayerSpec spec, Tensor weight, Tensor? bias, BatchNormParameters? bn, WeightQuantizer quantizer)
    {
        (_weight, _bias, _bn, Quantizer) = (weight, bias, bn, quantizer);
        _outChannels = weight.Dim(0);
        _k = new float[_outChannels];
        _weightGrad = new Tensor(weight.Shape.ToArray());
        _effWeight = new Tensor(weight.Shape.ToArray());
        _mask = new Tensor(weight.Shape.ToArray());
        // Always a bias: a quantized bias (a kept BatchNorm's t / k in whole steps) can be non-zero without a float one.
        _effBias = new Tensor(_outChannels);
        _inner = spec switch
        {
            Conv2dSpec c => new Conv2dLayer(name, c, _effWeight, _effBias),
            LinearSpec l => new LinearLayer(name, l, _effWeight, _effBias),
            _ => throw new ModelException($"Layer '{name}' ({spec.OpName}) has no weights to quantize."),
        };
        _innerWeightSlot = _inner.Parameters[0];
        _innerBiasSlot = _inner.Parameters[1];
        var slots = new List<ParameterSlot> { new($"{name}.weight", weight, _weightGrad, true) };
        if (bias is not null) slots.Add(new($"{name}.bias", bias, _biasGrad = new Tensor(_outChannels), false));
        if (bn is not null)
        {
            slots.Add(new($"{bn.Name}.weight", bn.Gamma, _gammaGrad = new Tensor(_outChannels), false));
            slots.Add(new($"{bn.Name}.bias", bn.Beta, _betaGrad = new Tensor(_outChannels), false));
        }
        _parameters = slots.ToArray();
    }

    public WeightQuantizer Quantizer { get; }

    /// <summary>The scale of the layer's input grid while it is quantized (null: the bias stays float).</summary>
    public Func<float?>? InputScale { get; set; }

    /// <summary>A kept BatchNorm's t / k per channel (the integer bias holds b + t / k); null without one.</summary>
    public Func<int, double>? BiasOffset { get; set; }
    public override IReadOnlyList<ParameterSlot> Parameters => _parameters;

    /// <summary>When false the effective weights stay float (reference and BN-folding checks).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Stops a folded BatchNorm's running statistics from following the training batches.</summary>
    public bool FreezeStatistics { get; set; }

    /// <summary>The effective (folded, fake-quantized) weights of the last forward.</summary>
    public Tensor EffectiveWeight => _effWeight;

    /// <summary>Forces the effective weights to be recomputed (after bits, options or weights changed outside training).</summary>
    public void Invalidate() => _stale = true;

    /// <summary>
    /// The weights on their integer grids, computed now from the current parameters with the grids the forward pass uses
    /// (<see cref="WeightQuantizer.GridsFor"/>), and the effective float bias.
    /// </summary>
    public QuantizedWeights Quantized()
    {
        var folded = new float[_weight.Length];
        FoldInto(folded);
        var grids = Quantizer.GridsFor(folded, _outChannels);
        var codes = new int[folded.Length];
        int per = folded.Length / _outChannels;
        var bias = new float[_outChannels];
        for (int c = 0; c < _outChannels; c++)
        {
            var grid = grids.Length == 1 ? grids[0] : grids[c];
            for (int i = c * per; i < (c + 1) * per; i++) codes[i] = grid.Quantize(folded[i]);
            bias[c] = EffectiveBias(c);
        }
        return new QuantizedWeights(_outChannels, codes, grids, bias);
    }

    /// <summary>Chooses the weight quantizer's clip ratios (MSE search) for the current folded weights.</summary>
    public void Calibrate()
    {
        var folded = new float[_weight.Length];
        FoldInto(folded);
        Quantizer.Calibrate(folded, _outChannels);
        _stale = true;
    }

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        // A new input scale (calibration, a learned clip) moves the quantized bias.
        float? inputScale = Enabled ? InputScale?.Invoke() : null;
        if (training || _stale || inputScale != _usedInputScale) UpdateEffectiveParameters(inputScale);
        (_stale, _usedInputScale) = (training, inputScale);
        var y = _inner.Forward(inputs, training);
        if (training && _bn is not null && !FreezeStatistics) UpdateStatistics(y);
        return y;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        var gW = _innerWeightSlot.Gradient;
        var gB = _innerBiasSlot.Gradient;
        gW.Clear();
        gB.Clear();
        _inner.Backward(outputGradient, inputGradients);
        if (Enabled) TensorPrimitives.Multiply(gW.Span, _mask.Span, gW.Span);
        int per = _weight.Length / _outChannels;
        for (int c = 0; c < _outChannels; c++)
        {
            var g = gW.Data.AsSpan(c * per, per);
            var dw = _weightGrad.Data.AsSpan(c * per, per);
            float k = _k[c];
            for (int i = 0; i < per; i++) dw[i] += g[i] * k;
            if (_bias is not null) _biasGrad!.Data[c] += gB.Data[c] * k;
            if (_bn is null) continue;
            float invStd = 1f / MathF.Sqrt(_bn.RunningVar.Data[c] + _bn.Spec.Epsilon);
            float centred = (_bias?.Data[c] ?? 0f) - _bn.RunningMean.Data[c];
            _gammaGrad!.Data[c] += (TensorPrimitives.Dot(g, _weight.Data.AsSpan(c * per, per)) + gB.Data[c] * centred) * invStd;
            _betaGrad!.Data[c] += gB.Data[c];
        }
    }

    /// <summary>w * k per output channel (k = 1 without a folded BN); fills <see cref="_k"/>.</summary>
    private void FoldInto(Span<float> folded)
    {
        int per = _weight.Length / _outChannels;
        for (int c = 0; c < _outChannels; c++)
        {
            _k[c] = _bn is null ? 1f : _bn.Gamma.Data[c] / MathF.Sqrt(_bn.RunningVar.Data[c] + _bn.Spec.Epsilon);
            TensorPrimitives.Multiply(_weight.Data.AsSpan(c * per, per), _k[c], folded.Slice(c * per, per));
        }
    }

    private void UpdateEffectiveParameters(float? inputScale)
    {
        FoldInto(_effWeight.Span);
        var grids = Enabled ? Quantizer.Quantize(_effWeight.Span, _outChannels, _effWeight.Span, _mask.Span) : [];
        for (int c = 0; c < _outChannels; c++)
        {
            float b = EffectiveBias(c);
            if (inputScale is { } s && grids.Length > 0)
                b = IntegerBias.Quantized(b, BiasOffset?.Invoke(c) ?? 0, (double)s * grids[grids.Length == 1 ? 0 : c].Scale);
            _effBias.Data[c] = b;
        }
    }

    /// <summary>b_eff[c] = beta + (b - mean) * k (BN folded) or b (0 without bias); needs <see cref="_k"/> from <see cref="FoldInto"/>.</summary>
    private float EffectiveBias(int c)
    {
        float b = _bias?.Data[c] ?? 0f;
        return _bn is null ? b : _bn.Beta.Data[c] + (b - _bn.RunningMean.Data[c]) * _k[c];
    }

    private void UpdateStatistics(Tensor y)
    {
        int n = y.Dim(0), hw = y.Length / (n * _outChannels);
        long m = (long)n * hw;
        float momentum = _bn!.Spec.Momentum;
        for (int c = 0; c < _outChannels; c++)
        {
            float k = _k[c];
            if (MathF.Abs(k) < 1e-6f) continue;
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++)
            {
                var (s1, s2) = VectorOps.SumAndSumOfSquares(y.Data.AsSpan((i * _outChannels + c) * hw, hw));
                sum += s1; sq += s2;
            }
            double mu = sum / m, v = Math.Max(0, sq / m - mu * mu);
            // y ~ k * conv(x, w) + b_eff, and the BN input is z = conv(x, w) + b: mean_z = (mean_y - b_eff) / k + b, var_z = var_y / k^2.
            float mean = (float)((mu - _effBias.Data[c]) / k) + (_bias?.Data[c] ?? 0f);
            float var = (float)(v / (k * k)) * (m > 1 ? (float)m / (m - 1) : 1f);
            _bn.RunningMean.Data[c] = (1 - momentum) * _bn.RunningMean.Data[c] + momentum * mean;
            _bn.RunningVar.Data[c] = (1 - momentum) * _bn.RunningVar.Data[c] + momentum * var;
        }
    }
}
