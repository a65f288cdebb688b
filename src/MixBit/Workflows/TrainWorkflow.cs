using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MixBit.Data;
using MixBit.Models;
using MixBit.Models.Architectures;
using MixBit.Nn;
using MixBit.Nn.Training;

namespace MixBit.Workflows;

/// <summary>What to train: a built-in architecture (or an existing model file to fine-tune), data, options, output.</summary>
public sealed record TrainRequest(
    string Architecture, double Width, string? InitialModelPath, DatasetSource Data, TrainingOptions Options,
    string OutputPath, bool Resume = false, float Dropout = 0f);

public sealed record TrainOutcome(string ModelPath, float TestAccuracy, float TestLoss, IReadOnlyList<EpochResult> Epochs, TimeSpan Duration, long Parameters);

/// <summary>
/// Trains a model and saves it with its normalisation and test accuracy. After every epoch a checkpoint (model +
/// optimizer state) is written atomically beside the output, so an interrupted run continues with --resume.
/// </summary>
public static class TrainWorkflow
{
    public static string CheckpointPath(string output) => RunCheckpoint.PathFor(output);

    public static TrainOutcome Run(TrainRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        request.Options.Validate();
        var clock = Stopwatch.StartNew();
        var (train, validation, test) = request.Data.Load();
        var normalization = Normalization.FromTrainingSet(train);
        string optionsJson = JsonSerializer.Serialize(new { Architecture = request.InitialModelPath ?? request.Architecture,
            Width = request.InitialModelPath is null ? request.Width : (double?)null, request.Options.Epochs, request.Options.BatchSize,
            request.Options.Optimizer, request.Options.LearningRate, request.Options.Seed, request.Data.ValidationCount, request.Data.SplitSeed });

        var checkpoint = new RunCheckpoint(request.OutputPath, ModelMetadata.TrainingOptions, optionsJson, "training");
        var resumed = checkpoint.Open(request.Resume);
        Model model;
        if (resumed is { } r)
            model = r.Model;
        else if (request.InitialModelPath is not null)
            model = ModelFile.Load(request.InitialModelPath);
        else
        {
            var options = new ArchitectureOptions(request.Width, train.Height, train.Channels, train.ClassCount, request.Dropout);
            if (train.Height != train.Width) throw new MixBitException("Built-in architectures need square images.");
            model = Model.Initialize(ArchitectureRegistry.Build(request.Architecture, options), request.Options.Seed);
        }
        var input = model.Graph.InputShape;
        if (input.Channels != train.Channels || input.Height != train.Height || input.Width != train.Width)
            throw new MixBitException($"The model expects {input} inputs but the data is {train.Channels}x{train.Height}x{train.Width}.");
        if (model.Graph.OutputShape.Channels != train.ClassCount)
            throw new MixBitException($"The model has {model.Graph.OutputShape.Channels} outputs but the data has {train.ClassCount} classes.");

        var network = new Network(model, request.Options.Seed);
        var trainer = new Trainer(network, request.Options);
        if (resumed is not null) checkpoint.RestoreOptimizer(trainer.Optimizer);

        var metadata = resumed?.Metadata ?? new Dictionary<string, string>();
        metadata[ModelMetadata.Architecture] = model.Graph.Name;
        metadata[ModelMetadata.Dataset] = "fashion-mnist";
        metadata[ModelMetadata.TrainingOptions] = optionsJson;
        ModelMetadata.WriteNormalization(metadata, normalization);

        trainer.EpochCompleted = (epoch, _) => checkpoint.Save(model, metadata, epoch, trainer.Optimizer);
        var epochs = trainer.Train(train, validation, normalization, progress, resumed?.NextEpoch ?? 0, cancel);

        var result = Evaluator.Evaluate(network, test, normalization, cancel: cancel);
        metadata.Remove(ModelMetadata.Epoch);
        metadata[ModelMetadata.TestAccuracy] = result.Accuracy.ToString("R", CultureInfo.InvariantCulture);
        ModelFile.Save(model, request.OutputPath, metadata);
        checkpoint.Delete();
        return new(request.OutputPath, result.Accuracy, result.Loss, epochs, clock.Elapsed, model.Graph.TrainableParameterCount);
    }
}
