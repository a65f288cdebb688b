using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>Max pool: the largest code over the in-bounds taps of the window; the output has its input's grid.</summary>
public sealed record QuantizedMaxPool(string Name, int Input, int Output, KernelWindow Window) : QuantizedOp(Name, Output)
{
    public override DeployedOpKind Kind => DeployedOpKind.MaxPool;
    public override IReadOnlyList<int> Inputs => [Input];
}
