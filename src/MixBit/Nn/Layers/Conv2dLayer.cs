using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Conv2d on NCHW, parallel over images. Groups == 1 runs as GEMM: 1x1/stride 1/no pad directly on the input,
/// otherwise on an im2col matrix [C_in*k_h*k_w, H_out*W_out]. Depthwise runs as direct loops
/// (<see cref="PlanarConvKernels"/>). Other groupings run one GEMM per group.
/// </summary>
public sealed class Conv2dLayer : Layer
{
    private readonly Conv2dSpec _spec;
    private readonly Tensor _weight, _weightGrad;
    private readonly Tensor? _bias, _biasGrad;
    private readonly ParameterSlot[] _parameters;
    private readonly float[][] _colScratch = NewWorkerBuffers();
    private readonly float[][] _gradPartials = NewWorkerBuffers();
    private readonly bool _dense;
    private Tensor _input = null!;

    public Conv2dLayer(string name, Conv2dSpec spec, Tensor weight, Tensor? bias)
    {
        _spec = spec;
        (_weight, _bias) = (weight, bias);
        _dense = PlanarConvKernels.PrefersDense(spec);
        _parameters = WeightAndBiasSlots(name, weight, bias, out _weightGrad, out _biasGrad);
    }

    public Conv2dSpec Spec => _spec;
    public Tensor Weight => _weight;
    public Tensor? Bias => _bias;
    public override IReadOnlyList<ParameterSlot> Parameters => _parameters;

    private int KernelArea => _spec.KernelH * _spec.KernelW;

    public override Tensor Forward(Tensor[] inputs, bool training)
    {
        _input = inputs[0];
        return Run(inputs[0], _weight.Data, _bias?.Data, float.NegativeInfinity, float.PositiveInfinity);
    }

    /// <summary>
    /// Inference with substitute weights and an epilogue: y = clamp(conv(x, weight) + bias, lo, hi) per channel, in one
    /// pass while each image's output is in cache. Used with BN folded into weight/bias and the activation as the clamp.
    /// </summary>
    public Tensor ForwardFused(Tensor x, float[] weight, float[]? bias, float lo, float hi) => Run(x, weight, bias, lo, hi);

    private Tensor Run(Tensor x, float[] weight, float[]? bias, float lo, float hi)
    {
        int n = x.Dim(0), h = x.Dim(2), w = x.Dim(3);
        var outShape = _spec.OutputShape([new ActivationShape(x.Dim(1), h, w)]);
        EnsureShape(Output, n, outShape.Channels, outShape.Height, outShape.Width);
        int inPlane = _spec.InChannels * h * w, outHw = outShape.Height * outShape.Width, outPlane = _spec.OutChannels * outHw;
        var geo = new ConvGeometry(_spec, h, w, outShape.Height, outShape.Width);
        bool epilogue = bias is not null || !float.IsNegativeInfinity(lo) || !float.IsPositiveInfinity(hi);

        Workers.For(n, (start, end, worker) =>
        {
            for (int img = start; img < end; img++)
            {
                var xi = x.Data.AsSpan(img * inPlane, inPlane);
                var yi = Output.Data.AsSpan(img * outPlane, outPlane);
                if (_spec.IsDepthwise)
                    PlanarConvKernels.Forward(geo, xi, weight, yi, Scratch(_colScratch, worker, PlanarConvKernels.ScratchLength(geo)));
                else if (_dense)
                    PlanarConvKernels.DenseForward(geo, _spec.InChannels, xi, weight, yi,
                        Scratch(_colScratch, worker, PlanarConvKernels.DenseScratchLength(geo, _spec.InChannels)));
                else
                    ForwardGemm(geo, weight, xi, yi, worker);
                if (epilogue)
                    for (int c = 0; c < _spec.OutChannels; c++)
                        VectorOps.AddClamp(yi.Slice(c * outHw, outHw), bias is null ? 0f : bias[c], lo, hi);
            }
        });
        return Output;
    }

    private void ForwardGemm(in ConvGeometry geo, float[] weight, ReadOnlySpan<float> x, Span<float> y, int worker)
    {
        int cinG = _spec.InChannelsPerGroup, coutG = _spec.OutChannels / _spec.Groups, outHw = geo.OutH * geo.OutW;
        int kdim = cinG * KernelArea;
        for (int g = 0; g < _spec.Groups; g++)
        {
            var xg = x.Slice(g * cinG * geo.InH * geo.InW, cinG * geo.InH * geo.InW);
            ReadOnlySpan<float> cols = xg;
            if (!_spec.IsPointwise)
            {
                var col = Scratch(_colScratch, worker, kdim * outHw).AsSpan(0, kdim * outHw);
                Im2Col.Pack(geo, cinG, xg, col);
                cols = col;
            }
            Gemm.Multiply(false, false, coutG, outHw, kdim, 1f, weight.AsSpan(g * coutG * kdim), kdim,
                cols, outHw, 0f, y.Slice(g * coutG * outHw), outHw);
        }
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        var x = _input;
        var dx = inputGradients[0];
        int n = x.Dim(0), h = x.Dim(2), w = x.Dim(3);
        int inPlane = _spec.InChannels * h * w;
        int outH = outputGradient.Dim(2), outW = outputGradient.Dim(3), outHw = outH * outW, outPlane = _spec.OutChannels * outHw;
        var geo = new ConvGeometry(_spec, h, w, outH, outW);
        if (dx is not null) ShapeLike(dx, x);
        int wLen = _weight.Length, partialLen = wLen + (_bias is null ? 0 : _spec.OutChannels);
        int workersUsed = Workers.For(n, (start, end, worker) =>
        {
            var partial = Scratch(_gradPartials, worker, partialLen).AsSpan(0, partialLen);
            partial.Clear();
            var dW = partial[..wLen];
            for (int img = start; img < end; img++)
            {
                var xi = x.Data.AsSpan(img * inPlane, inPlane);
                var dyi = outputGradient.Data.AsSpan(img * outPlane, outPlane);
                var dxi = dx is null ? Span<float>.Empty : dx.Data.AsSpan(img * inPlane, inPlane);
                if (_spec.IsDepthwise)
                    PlanarConvKernels.Backward(geo, xi, _weight.Data, dyi, dW, dxi, dx is not null,
                        Scratch(_colScratch, worker, PlanarConvKernels.ScratchLength(geo)));
                else
                    BackwardGemm(geo, xi, dyi, dW, dxi, dx is not null, worker);
                if (_bias is not null)
                    for (int c = 0; c < _spec.OutChannels; c++)
                        partial[wLen + c] += TensorPrimitives.Sum(dyi.Slice(c * outHw, outHw));
            }
        });

        for (int wk = 0; wk < workersUsed; wk++)
        {
            var partial = _gradPartials[wk].AsSpan(0, partialLen);
            TensorPrimitives.Add(_weightGrad.Span, partial[..wLen], _weightGrad.Span);
            if (_biasGrad is not null) TensorPrimitives.Add(_biasGrad.Span, partial[wLen..], _biasGrad.Span);
        }
    }

    private void BackwardGemm(in ConvGeometry geo, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dW,
        Span<float> dx, bool needInputGrad, int worker)
    {
        int cinG = _spec.InChannelsPerGroup, coutG = _spec.OutChannels / _spec.Groups, outHw = geo.OutH * geo.OutW;
        int kdim = cinG * KernelArea, inGroup = cinG * geo.InH * geo.InW;
        for (int g = 0; g < _spec.Groups; g++)
        {
            var xg = x.Slice(g * inGroup, inGroup);
            var dyg = dy.Slice(g * coutG * outHw, coutG * outHw);
            var wg = _weight.Data.AsSpan(g * coutG * kdim, coutG * kdim);
            var dWg = dW.Slice(g * coutG * kdim, coutG * kdim);
            if (_spec.IsPointwise)
            {
                // dW += dY [Cout, HW] * X^T [HW, Cin];  dX = W^T [Cin, Cout] * dY
                Gemm.Multiply(false, true, coutG, kdim, outHw, 1f, dyg, outHw, xg, outHw, 1f, dWg, kdim);
                if (needInputGrad)
                    Gemm.Multiply(true, false, kdim, outHw, coutG, 1f, wg, kdim, dyg, outHw, 0f, dx.Slice(g * inGroup, inGroup), outHw);
                continue;
            }
            var col = Scratch(_colScratch, worker, kdim * outHw).AsSpan(0, kdim * outHw);
            Im2Col.Pack(geo, cinG, xg, col);
            Gemm.Multiply(false, true, coutG, kdim, outHw, 1f, dyg, outHw, col, outHw, 1f, dWg, kdim);
            if (needInputGrad)
            {
                Gemm.Multiply(true, false, kdim, outHw, coutG, 1f, wg, kdim, dyg, outHw, 0f, col, outHw);
                Im2Col.Unpack(geo, cinG, col, dx.Slice(g * inGroup, inGroup));
            }
        }
    }
}
