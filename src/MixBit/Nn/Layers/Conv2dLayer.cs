using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Conv2d on NCHW. Standard convolutions are GEMMs over the whole batch (<see cref="MatrixView.Nchw"/>: the positions of
/// all images are the columns of one product, which parallelises over output tiles): 1x1/stride 1/no pad directly on
/// the input, otherwise on im2col columns [image][C_in*k_h*k_w][H_out*W_out] of a block of images, or in inference on
/// maps smaller than the kernel as one dense product with the weights unrolled (<see cref="UnrolledConv"/>). Depthwise
/// convolutions run with 8 channels per vector (<see cref="BlockedDepthwise"/>); stems with few input channels as planar
/// loops (<see cref="PlanarConvKernels"/>: forward parallel over images, weight gradient over output channels; with an
/// input gradient the backward is the GEMM one). Other groupings run one product per group.
/// </summary>
public sealed class Conv2dLayer : Layer
{
    private readonly Conv2dSpec _spec;
    private readonly Tensor _weight, _weightGrad;
    private readonly Tensor? _bias, _biasGrad;
    private readonly ParameterSlot[] _parameters;
    private readonly float[][] _colScratch = NewWorkerBuffers();
    private readonly bool _dense;
    private float[] _columns = [];
    private float[] _unrolled = [];
    private float[]? _unrolledFrom;
    private int _unrolledPeriod;
    private ConvGeometry _unrolledGeometry;
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
    /// <param name="frozenPeriod">0, or the frozen period (<see cref="Network.ParametersFrozen"/>) in which
    /// <paramref name="weight"/> keeps its values: what is derived from the weights (<see cref="UnrolledConv"/>) is then
    /// kept from one call to the next.</param>
    public Tensor ForwardFused(Tensor x, float[] weight, float[]? bias, float lo, float hi, int frozenPeriod = 0)
        => Run(x, weight, bias, lo, hi, frozenPeriod);

    private Tensor Run(Tensor x, float[] weight, float[]? bias, float lo, float hi, int frozenPeriod = 0)
    {
        int n = x.Dim(0), h = x.Dim(2), w = x.Dim(3);
        var outShape = _spec.OutputShape([new ActivationShape(x.Dim(1), h, w)]);
        EnsureShape(Output, n, outShape.Channels, outShape.Height, outShape.Width);
        int inPlane = _spec.InChannels * h * w, outHw = outShape.Height * outShape.Width, outPlane = _spec.OutChannels * outHw;
        var geo = new ConvGeometry(_spec, h, w, outShape.Height, outShape.Width);
        var epilogue = new GemmEpilogue(bias, lo, hi);
        if (_spec.IsDepthwise)
        {
            // 8 channels per vector, parallel over (channel block, range of images); about 4 tasks per worker.
            int blocks = BlockedDepthwise.Blocks(_spec.OutChannels), scratch = BlockedDepthwise.ScratchLength(geo);
            int parts = Math.Clamp((4 * Workers.Count + blocks - 1) / blocks, 1, n);
            var gm = geo;
            long perTask = (long)BlockedDepthwise.Lanes * (n + parts - 1) / parts * (outHw * KernelArea + h * w + outHw);
            Workers.Share(blocks * parts, perTask, (start, end, worker) =>
            {
                var buffer = Scratch(_colScratch, worker, scratch);
                if (parts == 1) BlockedDepthwise.Forward(gm, x.Data, Output.Data, _spec.OutChannels, start, end, 0, n, weight, bias, lo, hi, buffer);
                else
                    for (int t = start; t < end; t++)
                    {
                        int part = t % parts;
                        BlockedDepthwise.Forward(gm, x.Data, Output.Data, _spec.OutChannels, t / parts, t / parts + 1, n * part / parts, n * (part + 1) / parts,
                            weight, bias, lo, hi, buffer);
                    }
            });
        }
        else if (_dense)
        {
            // Parallel over images, and over ranges of output channels when there are fewer images than workers (batch 1).
            int splits = n >= Workers.Count ? 1 : Math.Min(_spec.OutChannels, (Workers.Count + n - 1) / n);
            int scratch = PlanarConvKernels.DenseScratchLength(geo, _spec.InChannels);
            var gm = geo;
            Workers.Share(n * splits, (long)(_spec.OutChannels + splits - 1) / splits * outHw * _spec.InChannels * KernelArea, (start, end, worker) =>
            {
                for (int t = start; t < end; t++)
                {
                    int img = t / splits, part = t % splits;
                    PlanarConvKernels.DenseForward(gm, _spec.InChannels, x.Data.AsSpan(img * inPlane, inPlane), weight, Output.Data.AsSpan(img * outPlane, outPlane),
                        _spec.OutChannels * part / splits, _spec.OutChannels * (part + 1) / splits, epilogue, Scratch(_colScratch, worker, scratch));
                }
            });
        }
        else if (UnrolledConv.Prefers(_spec, geo, n, frozen: frozenPeriod != 0))
        {
            UnrolledConv.Forward(_spec, geo, x, Unrolled(geo, weight, frozenPeriod), Output);
            ApplyEpilogue(n * _spec.OutChannels, outHw, epilogue);
        }
        else if (_spec.Groups == 1)
            ForwardGemm(geo, x, weight, 0, epilogue); // one product over the batch, epilogue fused into its store
        else
        {
            for (int g = 0; g < _spec.Groups; g++) ForwardGemm(geo, x, weight, g, default);
            ApplyEpilogue(n * _spec.OutChannels, outHw, epilogue);
        }
        return Output;
    }

    /// <summary>Output = clamp(Output + bias[channel], lo, hi) plane by plane, for the paths whose product stores no epilogue.</summary>
    private void ApplyEpilogue(int planes, int planeLength, GemmEpilogue epilogue)
    {
        if (epilogue.IsIdentity) return;
        Workers.Share(planes, planeLength, (start, end, _) =>
        {
            for (int p = start; p < end; p++)
                VectorOps.AddClamp(Output.Data.AsSpan(p * planeLength, planeLength), epilogue.Bias is { } b ? b[p % _spec.OutChannels] : 0f,
                    epilogue.Lo, epilogue.Hi);
        });
    }

    /// <summary>
    /// The weights unrolled for this geometry (<see cref="UnrolledConv"/>), kept while the caller's frozen period, the
    /// weights' array and the geometry stay the same.
    /// </summary>
    private float[] Unrolled(in ConvGeometry geo, float[] weight, int frozenPeriod)
    {
        if (frozenPeriod != _unrolledPeriod || !ReferenceEquals(weight, _unrolledFrom) || geo != _unrolledGeometry)
        {
            long length = UnrolledConv.Length(_spec, geo);
            if (_unrolled.Length < length) _unrolled = new float[length];
            UnrolledConv.Unroll(_spec, geo, weight, _unrolled);
            (_unrolledFrom, _unrolledPeriod, _unrolledGeometry) = (weight, frozenPeriod, geo);
        }
        return _unrolled;
    }

    /// <summary>Y_g = W_g * cols_g over all images of the batch, for conv group <paramref name="g"/>.</summary>
    private void ForwardGemm(in ConvGeometry geo, Tensor x, float[] weight, int g, in GemmEpilogue epilogue)
    {
        int n = x.Dim(0), cinG = _spec.InChannelsPerGroup, coutG = _spec.OutChannels / _spec.Groups;
        int inHw = geo.InH * geo.InW, outHw = geo.OutH * geo.OutW, kdim = cinG * KernelArea;
        var a = MatrixView.RowMajor(weight, kdim, g * coutG * kdim);
        if (_spec.IsPointwise)
        {
            Gemm.Multiply(coutG, n * outHw, kdim, 1f, a, MatrixView.Nchw(x.Data, g * cinG * inHw, inHw, _spec.InChannels * inHw), 0f,
                MatrixView.Nchw(Output.Data, g * coutG * outHw, outHw, _spec.OutChannels * outHw), epilogue);
            return;
        }
        int block = ImagesPerBlock(n, kdim * outHw, ForwardColumnBudget);
        for (int n0 = 0; n0 < n; n0 += block)
        {
            int nb = Math.Min(block, n - n0);
            var col = PackColumns(geo, x, g, n0, nb);
            Gemm.Multiply(coutG, nb * outHw, kdim, 1f, a, MatrixView.RowMajor(col, nb * outHw), 0f,
                MatrixView.Nchw(Output.Data, (n0 * _spec.OutChannels + g * coutG) * outHw, outHw, _spec.OutChannels * outHw), epilogue);
        }
    }

    /// <summary>
    /// Images per im2col block: as many as fit in <paramref name="budget"/> floats of columns (at least one), so that one
    /// product covers several small images while the column matrix of a large batch stays bounded. Fixed by the shape.
    /// </summary>
    private static int ImagesPerBlock(int n, int colsPerImage, int budget) => Math.Clamp(budget / Math.Max(1, colsPerImage), 1, n);

    /// <summary>
    /// Forward: 256K floats (1 MB) of columns per block, so that the product reads them from L2 right after im2col wrote
    /// them (ResNet-18 at batch 32, one thread: 265-283 -> 233-256 ms per batch against 16 MB blocks).
    /// </summary>
    private const int ForwardColumnBudget = 1 << 18;

    /// <summary>Backward: 4M floats (16 MB) per block; each block adds its share of the weight gradient.</summary>
    private const int BackwardColumnBudget = 1 << 22;

    /// <summary>
    /// im2col of images [n0, n0 + count) for conv group g into the shared column buffer, in parallel: one row-major
    /// kdim x (count * outHw) matrix, image i in columns [i * outHw, (i + 1) * outHw), so that the product's operand has
    /// whole rows of adjacent floats even on 2x2 maps.
    /// </summary>
    private float[] PackColumns(in ConvGeometry geo, Tensor x, int g, int n0, int count)
    {
        int cinG = _spec.InChannelsPerGroup, inHw = geo.InH * geo.InW, outHw = geo.OutH * geo.OutW, perImage = cinG * KernelArea * outHw;
        if (_columns.Length < count * perImage) _columns = new float[count * perImage];
        var col = _columns;
        var gm = geo;
        // With fewer images than workers (batch 1) each image's channels are split too.
        int splits = Math.Min(cinG, (Workers.Count + count - 1) / count), rowsPerChannel = KernelArea, pitch = count * outHw;
        Workers.Share(count * splits, perImage / splits, (start, end, _) =>
        {
            for (int t = start; t < end; t++)
            {
                int i = t / splits, c0 = cinG * (t % splits) / splits, c1 = cinG * (t % splits + 1) / splits;
                Im2Col.Pack(gm, c1 - c0, x.Data.AsSpan(((n0 + i) * _spec.InChannels + g * cinG + c0) * inHw, (c1 - c0) * inHw),
                    col.AsSpan(c0 * rowsPerChannel * pitch + i * outHw), pitch);
            }
        });
        return col;
    }

    public override void Backward(Tensor outputGradient, Tensor?[] inputGradients)
    {
        var x = _input;
        var dx = inputGradients[0];
        int n = x.Dim(0), h = x.Dim(2), w = x.Dim(3);
        int outH = outputGradient.Dim(2), outW = outputGradient.Dim(3), outHw = outH * outW;
        var geo = new ConvGeometry(_spec, h, w, outH, outW);
        if (dx is not null) ShapeLike(dx, x);
        if (_biasGrad is not null)
        {
            int cout = _spec.OutChannels;
            Workers.Share(cout, (long)n * outHw, (c0, c1, _) =>
            {
                for (int c = c0; c < c1; c++)
                {
                    float s = 0;
                    for (int img = 0; img < n; img++) s += TensorPrimitives.Sum(outputGradient.Data.AsSpan((img * cout + c) * outHw, outHw));
                    _biasGrad.Data[c] += s;
                }
            });
        }
        if (_spec.IsDepthwise) BackwardDepthwise(geo, x, outputGradient, dx);
        else if (_dense && dx is null) DenseWeightGradient(geo, x, outputGradient);
        else
            for (int g = 0; g < _spec.Groups; g++) BackwardGemm(geo, x, outputGradient, dx, g);
    }

    /// <summary>
    /// Conv group g over the whole batch: dW_g += dY_g * cols_g^T (a sum over images and positions) and
    /// dcols_g = W_g^T * dY_g, scattered back by col2im (for 1x1 stride-1 convolutions, cols and dcols are x and dx themselves).
    /// </summary>
    private void BackwardGemm(in ConvGeometry geo, Tensor x, Tensor dy, Tensor? dx, int g)
    {
        int n = x.Dim(0), cinG = _spec.InChannelsPerGroup, coutG = _spec.OutChannels / _spec.Groups;
        int inHw = geo.InH * geo.InW, outHw = geo.OutH * geo.OutW, kdim = cinG * KernelArea;
        int dyStride = _spec.OutChannels * outHw, xStride = _spec.InChannels * inHw;
        var dW = MatrixView.RowMajor(_weightGrad.Data, kdim, g * coutG * kdim);
        var wT = MatrixView.RowMajor(_weight.Data, kdim, g * coutG * kdim).Transposed;
        if (_spec.IsPointwise)
        {
            var dyAll = MatrixView.Nchw(dy.Data, g * coutG * outHw, outHw, dyStride);
            Gemm.Multiply(coutG, kdim, n * outHw, 1f, dyAll, MatrixView.Nchw(x.Data, g * cinG * inHw, inHw, xStride).Transposed, 1f, dW);
            if (dx is not null)
                Gemm.Multiply(kdim, n * outHw, coutG, 1f, wT, dyAll, 0f, MatrixView.Nchw(dx.Data, g * cinG * inHw, inHw, xStride));
            return;
        }
        int block = ImagesPerBlock(n, kdim * outHw, BackwardColumnBudget);
        for (int n0 = 0; n0 < n; n0 += block)
        {
            int nb = Math.Min(block, n - n0);
            var col = PackColumns(geo, x, g, n0, nb);
            var cols = MatrixView.RowMajor(col, nb * outHw);
            var dyBlock = MatrixView.Nchw(dy.Data, (n0 * _spec.OutChannels + g * coutG) * outHw, outHw, dyStride);
            Gemm.Multiply(coutG, kdim, nb * outHw, 1f, dyBlock, cols.Transposed, 1f, dW);
            if (dx is null) continue;
            // The columns are no longer needed: their buffer receives dcols.
            Gemm.Multiply(kdim, nb * outHw, coutG, 1f, wT, dyBlock, 0f, cols);
            var gm = geo;
            Workers.For(nb, (start, end, _) =>
            {
                for (int i = start; i < end; i++)
                    Im2Col.Unpack(gm, cinG, col.AsSpan(i * outHw), nb * outHw,
                        dx.Data.AsSpan(((n0 + i) * _spec.InChannels + g * cinG) * inHw, cinG * inHw));
            });
        }
    }

    /// <summary>Parallel over channel blocks: each block's weight gradient is summed over the images in order, so no partials.</summary>
    private void BackwardDepthwise(in ConvGeometry geo, Tensor x, Tensor dy, Tensor? dx)
    {
        int blocks = BlockedDepthwise.Blocks(_spec.OutChannels), length = BlockedDepthwise.ScratchLength(geo), images = x.Dim(0);
        var g = geo;
        Workers.For(blocks, (start, end, worker) =>
        {
            var buffer = Scratch(_colScratch, worker, length);
            for (int b = start; b < end; b++)
                BlockedDepthwise.Backward(g, x.Data, dy.Data, dx?.Data, _spec.OutChannels, images, b, _weight.Data, _weightGrad.Data, buffer);
        });
    }

    /// <summary>A stem's weight gradient on planes, parallel over output channels (each summed over the images in order).</summary>
    private void DenseWeightGradient(in ConvGeometry geo, Tensor x, Tensor dy)
    {
        int taps = KernelArea, cin = _spec.InChannels, per = cin * taps, length = PlanarConvKernels.DenseScratchLength(geo, cin), images = x.Dim(0);
        var g = geo;
        Workers.For(_spec.OutChannels, (start, end, worker) =>
        {
            var buffer = Scratch(_colScratch, worker, length);
            for (int co = start; co < end; co++)
                PlanarConvKernels.DenseWeightGradient(g, cin, x.Data, dy.Data, _spec.OutChannels, images, co, _weightGrad.Data.AsSpan(co * per, per), buffer);
        });
    }
}
