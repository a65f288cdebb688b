namespace MixBit.Nn.Specs;

/// <summary>
/// 2-D convolution, NCHW, weight [OutChannels, InChannels/Groups, KernelH, KernelW]. Depthwise is
/// Groups == InChannels == OutChannels. Padding may be asymmetric (ONNX SAME_UPPER); dilation is supported.
/// Output size per axis: floor((in + padBegin + padEnd - dilation*(k-1) - 1) / stride) + 1.
/// </summary>
public sealed record Conv2dSpec : LayerSpec
{
    public Conv2dSpec(int inChannels, int outChannels, int kernelH, int kernelW, int strideH = 1, int strideW = 1,
        int padTop = 0, int padLeft = 0, int padBottom = 0, int padRight = 0, int groups = 1, bool hasBias = false,
        int dilationH = 1, int dilationW = 1)
    {
        if (inChannels <= 0 || outChannels <= 0) throw new ModelException("Conv2d channels must be positive.");
        if (kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0)
            throw new ModelException("Conv2d kernel, stride and dilation must be positive.");
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) throw new ModelException("Conv2d padding must be non-negative.");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ModelException($"Conv2d groups={groups} must divide in_channels={inChannels} and out_channels={outChannels}.");
        (InChannels, OutChannels, KernelH, KernelW, StrideH, StrideW) = (inChannels, outChannels, kernelH, kernelW, strideH, strideW);
        (PadTop, PadLeft, PadBottom, PadRight, Groups, HasBias, DilationH, DilationW) = (padTop, padLeft, padBottom, padRight, groups, hasBias, dilationH, dilationW);
    }

    /// <summary>Square kernel with symmetric "same-style" padding k/2.</summary>
    public static Conv2dSpec Square(int inChannels, int outChannels, int kernel, int stride = 1, int groups = 1, bool hasBias = false)
        => new(inChannels, outChannels, kernel, kernel, stride, stride, kernel / 2, kernel / 2, kernel / 2, kernel / 2, groups, hasBias);

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelH { get; }
    public int KernelW { get; }
    public int StrideH { get; }
    public int StrideW { get; }
    public int PadTop { get; }
    public int PadLeft { get; }
    public int PadBottom { get; }
    public int PadRight { get; }
    public int Groups { get; }
    public bool HasBias { get; }
    public int DilationH { get; }
    public int DilationW { get; }

    public bool IsDepthwise => Groups > 1 && Groups == InChannels && Groups == OutChannels;
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && Groups == 1
        && PadTop == 0 && PadLeft == 0 && PadBottom == 0 && PadRight == 0;
    public int InChannelsPerGroup => InChannels / Groups;
    public int WeightCount => OutChannels * InChannelsPerGroup * KernelH * KernelW;

    public override string OpName => IsDepthwise ? "dwconv" : "conv";

    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs)
    {
        var x = inputs[0];
        if (x.Channels != InChannels)
            throw new ModelException($"Conv2d expects {InChannels} input channels, got {x.Channels}.");
        // In long: sizes, pads and dilations near int.MaxValue (a damaged file) must not wrap around.
        long oh = ((long)x.Height + PadTop + PadBottom - (long)DilationH * (KernelH - 1) - 1) / StrideH + 1;
        long ow = ((long)x.Width + PadLeft + PadRight - (long)DilationW * (KernelW - 1) - 1) / StrideW + 1;
        if (oh <= 0 || ow <= 0)
            throw new ModelException($"Conv2d {KernelH}x{KernelW} stride {StrideH} on a {x.Height}x{x.Width} input gives an empty output.");
        if (oh > int.MaxValue || ow > int.MaxValue) throw new ModelException($"Conv2d output {oh}x{ow} is out of range.");
        return new(OutChannels, (int)oh, (int)ow);
    }

    public override IReadOnlyList<ParameterSpec> Parameters => HasBias
        ? [new("weight", [OutChannels, InChannelsPerGroup, KernelH, KernelW], ParameterKind.Weight), new("bias", [OutChannels], ParameterKind.Bias)]
        : [new("weight", [OutChannels, InChannelsPerGroup, KernelH, KernelW], ParameterKind.Weight)];

    public override long Macs(IReadOnlyList<ActivationShape> inputs)
    {
        var y = OutputShape(inputs);
        return (long)y.Height * y.Width * WeightCount;
    }
}
