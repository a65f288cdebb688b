using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>
/// A Conv2d, depthwise Conv2d or Linear with its fused BatchNorm and ReLU/ReLU6 (docs/INTEGER.md), for output channel c:
/// <c>acc = Bias[c] + sum over in-bounds taps of w * (x - InputZeroPoint)</c>,
/// <c>out = clamp(requantize(acc, Multipliers[c]) + OutputZeroPoint, ActivationMin, ActivationMax)</c>.
/// Weights are symmetric signed codes packed at <see cref="WeightBits"/> in the contract's layout: OHWI
/// [out][kh][kw][in / groups] for a convolution, [kh][kw][c] for a depthwise one, [out][in] for a Linear whose columns
/// follow the NHWC order of its input map. <see cref="Window"/> is null for a Linear.
/// </summary>
public sealed record QuantizedLayer(
    string Name, DeployedOpKind LayerKind, int Input, int Output, KernelWindow? Window, int Groups,
    int OutChannels, int InChannelsPerGroup, int WeightBits, byte[] PackedWeights,
    int[] Bias, FixedPointMultiplier[] Multipliers,
    int InputZeroPoint, int OutputZeroPoint, int ActivationMin, int ActivationMax) : QuantizedOp(Name, Output)
{
    public override DeployedOpKind Kind => LayerKind;
    public override IReadOnlyList<int> Inputs => [Input];
    public override byte[] StoredWeights => PackedWeights;

    public bool IsDepthwise => LayerKind == DeployedOpKind.DepthwiseConv2d;

    /// <summary>Weights per output channel: (in / groups) * kh * kw, or kh * kw for a depthwise channel.</summary>
    public int WeightsPerChannel => InChannelsPerGroup * (Window?.Taps ?? 1);

    public int WeightCount => OutChannels * WeightsPerChannel;

    /// <summary>The weight codes, unpacked (sign-extended) in the stored layout.</summary>
    public int[] WeightCodes() => BitPacking.Unpack(PackedWeights, WeightCount, WeightBits, signed: true);
}
