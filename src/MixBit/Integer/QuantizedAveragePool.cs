using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>
/// Average pool (no padding, or padding counted in the window) or global average pool (the window is the whole map):
/// <c>acc = sum over in-bounds taps of (x - InputZeroPoint)</c>,
/// <c>out = clamp(requantize(acc, Multiplier) + OutputZeroPoint, ActivationMin, ActivationMax)</c> with
/// M = s_in / (s_out * KernelH * KernelW).
/// </summary>
public sealed record QuantizedAveragePool(
    string Name, DeployedOpKind PoolKind, int Input, int Output, KernelWindow Window, FixedPointMultiplier Multiplier,
    int InputZeroPoint, int OutputZeroPoint, int ActivationMin, int ActivationMax) : QuantizedOp(Name, Output)
{
    public override DeployedOpKind Kind => PoolKind;
    public override IReadOnlyList<int> Inputs => [Input];
}
