using MixBit.Nn.Specs;

namespace MixBit.Memory;

/// <summary>
/// One operator of the deployed integer model, in execution order, independent of any bit policy. A quantized layer is
/// a Conv2d/Linear node with the BatchNorm and ReLU/ReLU6 that directly follow it fused in; an Add may have a following
/// ReLU fused in (its clamp). Byte figures that depend on bits are in <see cref="PlanCost"/>.
/// </summary>
public sealed record DeployedOp
{
    public required int Index { get; init; }

    /// <summary>Name of the main graph node (the Conv2d/Linear node for a quantized layer; the BitPolicy key).</summary>
    public required string Name { get; init; }
    public required DeployedOpKind Kind { get; init; }

    /// <summary>Spec of the main node.</summary>
    public required LayerSpec Spec { get; init; }

    /// <summary>Graph index of the main node.</summary>
    public required int Node { get; init; }

    /// <summary>Graph nodes computed by this op, main node first (e.g. conv, bn, relu6); the last one's output is the op's output.</summary>
    public required IReadOnlyList<int> FusedNodes { get; init; }

    public BatchNorm2dSpec? BatchNorm { get; init; }
    public ReluSpec? Activation { get; init; }

    /// <summary>Tensor ids read (one, two for Add).</summary>
    public required IReadOnlyList<int> Inputs { get; init; }

    /// <summary>Tensor id written.</summary>
    public required int Output { get; init; }

    /// <summary>Shape of the output tensor (after the fused BatchNorm and activation).</summary>
    public required ActivationShape OutputShape { get; init; }

    public required long Macs { get; init; }

    /// <summary>Number of weights (0 for ops without weights).</summary>
    public required long WeightCount { get; init; }

    /// <summary>Output channels (per-channel parameters are stored for each).</summary>
    public required int OutputChannels { get; init; }

    /// <summary>Integer parameters stored beside the weights (see <see cref="DeployedParameterLayout"/>); independent of bits.</summary>
    public required long ParameterBytes { get; init; }

    /// <summary>Tensors that must exist while the op runs: its inputs, its output and every earlier tensor a later op still reads.</summary>
    public required IReadOnlyList<int> LiveTensors { get; init; }

    public bool IsQuantizedLayer => Kind is DeployedOpKind.Conv2d or DeployedOpKind.DepthwiseConv2d or DeployedOpKind.Linear;

    /// <summary>Packed weights at <paramref name="bits"/>: ceil(WeightCount * bits / 8); 0 for ops without weights.</summary>
    public long WeightBytesAt(int bits) => WeightCount == 0 ? 0 : PackedSize.Bytes(WeightCount, bits);
}
