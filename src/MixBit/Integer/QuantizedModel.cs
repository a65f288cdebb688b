namespace MixBit.Integer;

/// <summary>
/// The integer-only model as immutable data, keyed by the deployment plan's tensor ids: every tensor's bits, sign,
/// scale and zero point, every op's packed integer weights and integer parameters in execution order. Tensor 0 is the
/// network input (raw 8-bit pixels, NHWC); <see cref="OutputTensor"/> holds the int8 logits. What it stores is what the
/// device stores: <see cref="FlashBytes"/> = packed weights + <see cref="DeviceParameters"/> of every op, which equals the
/// memory model's FLASH figure for the same plan and policy. The integer engine and the QDQ exporter read it; so will
/// the C generator.
/// </summary>
/// <param name="Metadata">Provenance (source model, policy, options); not part of the numbers.</param>
public sealed record QuantizedModel(string Name, QuantizedTensor[] Tensors, QuantizedOp[] Ops, int OutputTensor,
    IReadOnlyDictionary<string, string> Metadata)
{
    public QuantizedTensor Input => Tensors[0];
    public QuantizedTensor Output => Tensors[OutputTensor];

    /// <summary>Packed weight bytes of all ops.</summary>
    public long WeightBytes => Ops.Sum(o => (long)o.StoredWeights.Length);

    /// <summary>Integer parameter bytes of all ops, as <see cref="DeviceParameters"/> writes them.</summary>
    public long ParameterBytes => Ops.Sum(o => (long)DeviceParameters.Of(o).Length);

    public long FlashBytes => WeightBytes + ParameterBytes;
}
