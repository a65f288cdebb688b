using MixBit.Nn.Specs;

namespace MixBit.Memory;

/// <summary>
/// One activation buffer of the deployed model: the network input or the output of one deployed op, stored packed at
/// <see cref="Bits"/>. Flatten, Dropout and a final Softmax are views of it (<see cref="ViewNodes"/>) and own no buffer.
/// </summary>
public sealed record DeployedTensor
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required ActivationShape Shape { get; init; }
    public required int Bits { get; init; }

    /// <summary>Index of the op that writes it; -1 for the network input.</summary>
    public required int ProducerOp { get; init; }

    /// <summary>Ops that read it, in execution order.</summary>
    public required IReadOnlyList<int> ConsumerOps { get; init; }

    /// <summary>Last op during which the buffer must exist (the network output lives to the last op).</summary>
    public required int LastUseOp { get; init; }

    /// <summary>Graph nodes (Flatten, Dropout, final Softmax) whose output is this same buffer.</summary>
    public required IReadOnlyList<int> ViewNodes { get; init; }

    /// <summary>
    /// Quantized layers whose activation bits set this tensor's bits (its bits are the largest of theirs): the
    /// producing layer, or through pools and Adds the layers upstream.
    /// </summary>
    public required IReadOnlyList<string> BitSources { get; init; }

    /// <summary>True when the bits cannot be lowered: the network input, or a tensor derived from it (pool of the input, Add with it).</summary>
    public required bool HasFixedBits { get; init; }

    public long Elements => Shape.Elements;

    /// <summary>Packed size: ceil(Elements * Bits / 8).</summary>
    public long Bytes => PackedSize.Bytes(Elements, Bits);

    public bool IsNetworkInput => ProducerOp < 0;

    /// <summary>True while op <paramref name="op"/> runs: written at or before it and read at or after it.</summary>
    public bool IsLiveAt(int op) => ProducerOp <= op && op <= LastUseOp;
}
