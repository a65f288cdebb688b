using MixBit.Nn.Specs;

namespace MixBit.Memory;

/// <summary>
/// One activation buffer of the deployed model, independent of any bit policy: the network input or the output of one
/// deployed op. Flatten, Dropout and a final Softmax are views of it (<see cref="ViewNodes"/>) and own no buffer. Its
/// bit-width under a policy comes from <see cref="DeploymentPlan.BitsOf(int, MixBit.Quantization.BitPolicy)"/>, the one
/// place where that rule lives.
/// </summary>
public sealed record DeployedTensor
{
    /// <summary>Stable id: the network input is 0, then one per op output in execution order.</summary>
    public required int Id { get; init; }

    /// <summary>The producing op's name ("input" for the network input); the key of its quantizer and of its scale.</summary>
    public required string Name { get; init; }
    public required ActivationShape Shape { get; init; }

    /// <summary>Index of the op that writes it; -1 for the network input.</summary>
    public required int ProducerOp { get; init; }

    /// <summary>Ops that read it, in execution order.</summary>
    public required IReadOnlyList<int> ConsumerOps { get; init; }

    /// <summary>Last op during which the buffer must exist (the network output lives to the last op).</summary>
    public required int LastUseOp { get; init; }

    /// <summary>Graph nodes (Flatten, Dropout, final Softmax) whose output is this same buffer.</summary>
    public required IReadOnlyList<int> ViewNodes { get; init; }

    /// <summary>
    /// Quantized layers whose activation bits set this tensor's bits (its bits are the largest of theirs and of
    /// <see cref="FloorBits"/>): the producing layer, or through pools and Adds the layers upstream.
    /// </summary>
    public required IReadOnlyList<string> BitSources { get; init; }

    /// <summary>
    /// Bits the tensor never goes below: 8 for the network input, for tensors derived from it (a pool of the input, an Add
    /// with it) and for the network output (int8 logits); 0 otherwise.
    /// </summary>
    public required int FloorBits { get; init; }

    /// <summary>Values on a signed grid (no ReLU before them); unsigned after a ReLU and for the network input.</summary>
    public required bool Signed { get; init; }

    /// <summary>
    /// For a max pool: the tensor whose grid (scale and zero point) this one shares, since the max of codes needs no
    /// requantization; otherwise the tensor's own id.
    /// </summary>
    public required int GridOf { get; init; }

    public long Elements => Shape.Elements;

    /// <summary>True when no policy can lower the bits: the floor is already the widest allowed width.</summary>
    public bool HasFixedBits => FloorBits >= MixBit.Quantization.BitPolicy.AllowedBits[0];

    public bool IsNetworkInput => ProducerOp < 0;

    /// <summary>Packed size at <paramref name="bits"/>: ceil(Elements * bits / 8) (docs/INTEGER.md).</summary>
    public long BytesAt(int bits) => PackedSize.Bytes(Elements, bits);

    /// <summary>True while op <paramref name="op"/> runs: written at or before it and read at or after it.</summary>
    public bool IsLiveAt(int op) => ProducerOp <= op && op <= LastUseOp;
}
