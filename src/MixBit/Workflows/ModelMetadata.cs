using System.Globalization;
using MixBit.Data;

namespace MixBit.Workflows;

/// <summary>Keys and helpers for the facts MixBit stores in a model file's ONNX metadata_props.</summary>
public static class ModelMetadata
{
    public const string Architecture = "mixbit.architecture";
    public const string Dataset = "mixbit.dataset";
    public const string NormalizationMean = "mixbit.normalization.mean";
    public const string NormalizationStd = "mixbit.normalization.std";
    public const string TestAccuracy = "mixbit.test_accuracy";
    public const string Epoch = "mixbit.checkpoint.epoch";
    public const string TrainingOptions = "mixbit.training.options";
    /// <summary>The class of each output, in output order (a JSON array), so that eval and quantize map an image folder's classes the same way.</summary>
    public const string ClassNames = "mixbit.class_names";

    public static void WriteClassNames(IDictionary<string, string> metadata, IReadOnlyList<string> names)
        => metadata[ClassNames] = System.Text.Json.JsonSerializer.Serialize(names);

    /// <summary>The stored class names, or null when the model has none (trained before they were stored, or by another tool).</summary>
    public static IReadOnlyList<string>? ReadClassNames(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(ClassNames, out var json)) return null;
        try { return System.Text.Json.JsonSerializer.Deserialize<string[]>(json) ?? throw new System.Text.Json.JsonException(); }
        catch (System.Text.Json.JsonException) { throw new MixBitException($"The model file's class names ({ClassNames}) are malformed; re-save the model with `mixbit train`."); }
    }

    public static void WriteNormalization(IDictionary<string, string> metadata, Normalization n)
    {
        metadata[NormalizationMean] = string.Join(",", n.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        metadata[NormalizationStd] = string.Join(",", n.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
    }

    /// <summary>The stored normalisation, or null when the file has none (e.g. a model exported by another tool).</summary>
    public static Normalization? ReadNormalization(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(NormalizationMean, out var mean) || !metadata.TryGetValue(NormalizationStd, out var std)) return null;
        static float[] Parse(string s) => s.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        try { return new Normalization(Parse(mean), Parse(std)); }
        catch (FormatException) { throw new MixBitException("The model file's normalisation metadata is malformed; re-save the model with `mixbit train`."); }
    }
}
