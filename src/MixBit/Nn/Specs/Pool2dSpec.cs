namespace MixBit.Nn.Specs;

public enum PoolKind { Max, Average }

/// <summary>
/// Max or average pooling over a window. Average pooling divides by the full window when
/// <see cref="CountIncludePad"/> is set, otherwise by the number of in-bounds elements.
/// </summary>
public sealed record Pool2dSpec : LayerSpec
{
    public Pool2dSpec(PoolKind kind, int kernelH, int kernelW, int strideH, int strideW,
        int padTop = 0, int padLeft = 0, int padBottom = 0, int padRight = 0, bool countIncludePad = false)
    {
        if (kernelH <= 0 || kernelW <= 0 || strideH <= 0 || strideW <= 0) throw new ModelException("Pool kernel and stride must be positive.");
        if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) throw new ModelException("Pool padding must be non-negative.");
        if (padTop >= kernelH || padBottom >= kernelH || padLeft >= kernelW || padRight >= kernelW)
            throw new ModelException("Pool padding must be smaller than the kernel.");
        (Kind, KernelH, KernelW, StrideH, StrideW) = (kind, kernelH, kernelW, strideH, strideW);
        (PadTop, PadLeft, PadBottom, PadRight, CountIncludePad) = (padTop, padLeft, padBottom, padRight, countIncludePad);
    }

    public PoolKind Kind { get; }
    public int KernelH { get; }
    public int KernelW { get; }
    public int StrideH { get; }
    public int StrideW { get; }
    public int PadTop { get; }
    public int PadLeft { get; }
    public int PadBottom { get; }
    public int PadRight { get; }
    public bool CountIncludePad { get; }

    public override string OpName => Kind == PoolKind.Max ? "maxpool" : "avgpool";

    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs)
    {
        var x = inputs[0];
        // In long: a damaged file's pads near int.MaxValue must not wrap around.
        long oh = ((long)x.Height + PadTop + PadBottom - KernelH) / StrideH + 1;
        long ow = ((long)x.Width + PadLeft + PadRight - KernelW) / StrideW + 1;
        if (oh <= 0 || ow <= 0) throw new ModelException($"Pool {KernelH}x{KernelW} on a {x.Height}x{x.Width} input gives an empty output.");
        if (oh > int.MaxValue || ow > int.MaxValue) throw new ModelException($"Pool output {oh}x{ow} is out of range.");
        return new(x.Channels, (int)oh, (int)ow);
    }
}
