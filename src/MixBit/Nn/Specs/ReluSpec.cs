namespace MixBit.Nn.Specs;

/// <summary>y = min(max(x, 0), Max); Max = +inf is ReLU, Max = 6 is ReLU6.</summary>
public sealed record ReluSpec : LayerSpec
{
    public ReluSpec(float max = float.PositiveInfinity)
    {
        if (!(max > 0)) throw new ModelException("ReLU upper clip must be positive.");
        Max = max;
    }

    public static ReluSpec Relu { get; } = new();
    public static ReluSpec Relu6 { get; } = new(6f);

    public float Max { get; }
    public bool IsBounded => !float.IsPositiveInfinity(Max);

    public override string OpName => IsBounded ? (Max == 6f ? "relu6" : $"clip{Max}") : "relu";
    public override ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs) => inputs[0];
}
