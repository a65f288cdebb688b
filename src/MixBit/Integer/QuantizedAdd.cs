using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>
/// Residual Add with an optional fused ReLU (its clamp), rounded once with one shared shift (docs/INTEGER.md):
/// <c>out = clamp(OutputZeroPoint + ((int64)(a - ZeroPointA) * MultiplierA + (int64)(b - ZeroPointB) * MultiplierB + 2^(n-1)) &gt;&gt; n, ActivationMin, ActivationMax)</c>
/// with MultiplierA ~= s_a / s_out * 2^n and MultiplierB ~= s_b / s_out * 2^n.
/// </summary>
public sealed record QuantizedAdd(
    string Name, int InputA, int InputB, int Output, int MultiplierA, int MultiplierB, int Shift,
    int ZeroPointA, int ZeroPointB, int OutputZeroPoint, int ActivationMin, int ActivationMax) : QuantizedOp(Name, Output)
{
    public override DeployedOpKind Kind => DeployedOpKind.Add;
    public override IReadOnlyList<int> Inputs => [InputA, InputB];
}
