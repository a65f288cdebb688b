using Onnx;

namespace MixBit.Models.Onnx;

/// <summary>Typed access to a node's attributes, with ONNX's defaults supplied by the caller.</summary>
internal sealed class OnnxAttributes(NodeProto node, string nodeLabel)
{
    private AttributeProto? Find(string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public bool Has(string name) => Find(name) is not null;

    /// <summary>An INT attribute; sizes, axes and flags all fit an int, so a larger value means a damaged file.</summary>
    public long Int(string name, long fallback) => Find(name) is { } a ? InRange(name, a.I) : fallback;

    public float Float(string name, float fallback) => Find(name) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    public TensorProto? Tensor(string name) => Find(name)?.T;

    /// <summary>An INTS attribute of exactly <paramref name="length"/> values, or <paramref name="fallback"/> when absent.</summary>
    public long[] Ints(string name, int length, long fallback)
    {
        if (Find(name) is not { } a) return Enumerable.Repeat(fallback, length).ToArray();
        if (a.Ints.Count != length)
            throw new OnnxImportException($"{nodeLabel} has {name}=[{string.Join(", ", a.Ints)}]; MixBit supports 2-D (NCHW) layers, which need {length} values.");
        foreach (long v in a.Ints) InRange(name, v);
        return a.Ints.ToArray();
    }

    private long InRange(string name, long value) => value is >= int.MinValue and <= int.MaxValue ? value
        : throw new OnnxImportException($"{nodeLabel} has {name} value {value}, outside any valid size; the file is damaged.");

    public IEnumerable<AttributeProto> All => node.Attribute;
}
