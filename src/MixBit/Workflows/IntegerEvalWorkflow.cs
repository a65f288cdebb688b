using MixBit.Data;
using MixBit.Integer;

namespace MixBit.Workflows;

public sealed record IntegerEvalOutcome(string ModelName, int Samples, float Accuracy, double ImagesPerSecond, long FlashBytes);

/// <summary>`mixbit eval model.mbq`: the integer model's test accuracy with the integer engine (raw pixels in, int8 logits out).</summary>
public static class IntegerEvalWorkflow
{
    public static bool IsIntegerModel(string path) => path.EndsWith(QuantizedModelFile.Extension, StringComparison.OrdinalIgnoreCase);

    public static IntegerEvalOutcome Run(string path, DatasetSource data)
    {
        var model = QuantizedModelFile.Load(path);
        var test = data.Load().Test;
        var p = IntegerEvaluation.Run(new IntegerEngine(model), test);
        return new IntegerEvalOutcome(model.Name, test.Count, p.Accuracy, p.ImagesPerSecond, model.FlashBytes);
    }
}
