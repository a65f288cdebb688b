using MixBit.Data;
using MixBit.Models;
using MixBit.Nn;
using MixBit.Nn.Training;

namespace MixBit.Workflows;

public sealed record EvalOutcome(float Accuracy, float Loss, int Samples, double ImagesPerSecond, float? StoredAccuracy, string ModelName, long Parameters);

/// <summary>Loads a model file and measures its accuracy on the test set with the normalisation stored in it.</summary>
public static class EvalWorkflow
{
    public static EvalOutcome Run(string modelPath, DatasetSource data, int batchSize = 256, CancellationToken cancel = default)
    {
        TrainingOptions.ValidateBatchSize(batchSize);
        var (model, metadata) = ModelFile.LoadWithMetadata(modelPath);
        // The test set only (and the training set for a model without stored normalisation): nothing is held out.
        var sets = (data with { ValidationCount = 0 }).Load(model.Graph, metadata).RequireLabels("measure accuracy");
        var normalization = ModelMetadata.ReadNormalization(metadata) ?? Normalization.FromTrainingSet(sets.Train);
        ModelDataCheck.Check(model.Graph, sets.Test);
        var result = Evaluator.Evaluate(new Network(model) { ParametersFrozen = true }, sets.Test, normalization, batchSize, cancel);
        float? stored = metadata.TryGetValue(ModelMetadata.TestAccuracy, out var a) && float.TryParse(a, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
        return new(result.Accuracy, result.Loss, result.Samples, result.ImagesPerSecond, stored, model.Graph.Name, model.Graph.TrainableParameterCount);
    }
}
