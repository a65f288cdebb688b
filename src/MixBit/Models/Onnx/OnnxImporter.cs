using Google.Protobuf;
using MixBit.Nn;
using Onnx;

namespace MixBit.Models.Onnx;

/// <summary>
/// Reads a float CNN from ONNX into a MixBit <see cref="Model"/>: one NCHW input, one output, the operators of
/// <see cref="SupportedOps"/>, opsets <see cref="MinOpset"/> to <see cref="MaxOpset"/>. Anything else is an
/// <see cref="OnnxImportException"/> with one sentence naming the problem, never a crash.
/// </summary>
public static class OnnxImporter
{
    public const int MinOpset = 9;
    public const int MaxOpset = 21;

    /// <summary>ONNX operators MixBit maps to its layers (Dropout, Identity and Constant are folded away).</summary>
    public static IReadOnlyList<string> SupportedOps { get; } =
    [
        "Conv", "BatchNormalization", "Relu", "Clip", "Add", "MaxPool", "AveragePool", "GlobalAveragePool",
        "Flatten", "Reshape", "Gemm", "MatMul", "Softmax", "Dropout", "Identity", "Constant",
    ];

    /// <summary>Parses and imports; <paramref name="source"/> (usually the file path) names the model in errors.</summary>
    public static Model Import(ReadOnlySpan<byte> bytes, string source) => Import(Parse(bytes, source), source);

    /// <summary>Parses the protobuf and checks that it is an ONNX model with a graph.</summary>
    public static ModelProto Parse(ReadOnlySpan<byte> bytes, string source)
    {
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (Exception e) when (e is InvalidProtocolBufferException or ArgumentException or InvalidOperationException)
        {
            throw NotValid(source, e.Message, e);
        }
        if (bytes.Length == 0) throw NotValid(source, "the file is empty");
        if (proto.IrVersion <= 0) throw NotValid(source, "no IR version");
        if (proto.Graph is null || proto.Graph.Node.Count == 0) throw NotValid(source, "no graph nodes");
        return proto;
    }

    /// <summary>Converts a parsed model; see <see cref="OnnxGraphReader"/> for the operator mapping.</summary>
    public static Model Import(ModelProto proto, string source)
    {
        try { return new OnnxGraphReader(proto, source).Read(); }
        catch (Exception e) when (e is not MixBitException and not OutOfMemoryException)
        {
            // Malformed contents the checks did not anticipate (an overflowing dimension, a missing field).
            throw NotValid(source, e.Message, e);
        }
    }

    /// <summary>The opset of the default ONNX domain the model imports.</summary>
    public static int OpsetOf(ModelProto proto, string source)
    {
        var opset = proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")
            ?? throw NotValid(source, "it declares no ai.onnx opset");
        if (opset.Version < MinOpset || opset.Version > MaxOpset)
            throw new OnnxImportException($"{source} uses ONNX opset {opset.Version}; MixBit imports opsets {MinOpset} to {MaxOpset}, so convert it first (onnx.version_converter).");
        return (int)opset.Version;
    }

    private static OnnxImportException NotValid(string source, string reason, Exception? inner = null) =>
        new($"{source} is not a valid ONNX model ({reason.TrimEnd('.')}).", inner);
}
