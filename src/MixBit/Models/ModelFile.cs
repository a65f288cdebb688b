using Google.Protobuf;
using MixBit.Models.Onnx;
using MixBit.Nn;

namespace MixBit.Models;

/// <summary>
/// MixBit's model file is ONNX: <see cref="Save(Model, string, IReadOnlyDictionary{string, string}?)"/> writes what
/// <see cref="OnnxExporter"/> produces and <see cref="Load"/> reads any ONNX file <see cref="OnnxImporter"/> supports.
/// Small facts later stages need (normalisation, architecture, accuracy) travel in the ONNX metadata_props.
/// </summary>
public static class ModelFile
{
    public static Model Load(string path) => LoadWithMetadata(path).Model;

    public static (Model Model, IReadOnlyDictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        InputFile.Check(path, "Model file", ".onnx file");
        var proto = OnnxImporter.Parse(InputFile.ReadAllBytes(path, "Model file"), path);
        var model = OnnxImporter.Import(proto, path);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in proto.MetadataProps) metadata[entry.Key] = entry.Value;
        return (model, metadata);
    }

    public static void Save(Model model, string path) => Save(model, path, null);

    /// <summary>Writes atomically: a temporary file in the same folder, then a rename over <paramref name="path"/>.</summary>
    public static void Save(Model model, string path, IReadOnlyDictionary<string, string>? metadata)
    {
        byte[] bytes = OnnxExporter.Export(model, metadata).ToByteArray();
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }
}
