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
    string OutputPath, bool Resume = false, float Dropout = 0f, bool Force = false);

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
        var checkpoint = new RunCheckpoint(request.OutputPath, ModelMetadata.TrainingOptions, OptionsOf(request), "training", LegacyOptionsJson(request));
        RunOutputs.Check([request.OutputPath, .. checkpoint.Files], [(request.InitialModelPath, "--model")], request.Force);
        var resumed = checkpoint.Open(request.Resume, request.Force);
        // A model that exists already fixes an image folder's image shape and class order.
        var (existing, existingMetadata) = resumed is { } r ? (r.Model, r.Metadata)
            : request.InitialModelPath is not null ? ModelFile.LoadWithMetadata(request.InitialModelPath) : (null, null);
        var data = request.Data.Load(existing?.Graph, existingMetadata).RequireLabels("train");
        var (train, validation, test) = data;
        var normalization = Normalization.FromTrainingSet(train);
        string optionsJson = checkpoint.OptionsJson;

        Model model;
        if (existing is not null)
            model = existing;
        else
        {
            var options = new ArchitectureOptions(request.Width, train.Height, train.Channels, train.ClassCount, request.Dropout);
            if (train.Height != train.Width) throw new MixBitException($"Built-in architectures need square images; these are {train.Height}x{train.Width} pixels: crop or resize them to a square size.");
            model = Model.Initialize(ArchitectureRegistry.Build(request.Architecture, options), request.Options.Seed);
        }
        ModelDataCheck.Check(model.Graph, train);

        var network = new Network(model, request.Options.Seed);
        var trainer = new Trainer(network, request.Options);
        if (resumed is not null) checkpoint.RestoreOptimizer(trainer.Optimizer);

        var metadata = resumed?.Metadata ?? new Dictionary<string, string>();
        metadata[ModelMetadata.Architecture] = model.Graph.Name;
        metadata[ModelMetadata.Dataset] = data.Name;
        ModelMetadata.WriteClassNames(metadata, train.ClassNames);
        metadata[ModelMetadata.TrainingOptions] = optionsJson;
        ModelMetadata.WriteNormalization(metadata, normalization);

        trainer.EpochCompleted = (epoch, _) => checkpoint.Save(model, metadata, epoch, trainer.Optimizer);
        IReadOnlyList<EpochResult> epochs;
        EvaluationResult result;
        try
        {
            epochs = trainer.Train(train, validation, normalization, progress, resumed?.NextEpoch ?? 0, cancel);
            result = Evaluator.Evaluate(network, test, normalization, cancel: cancel);
        }
        catch (Exception e) when (checkpoint.Explain(e, request.Options.Epochs) is { } explained) { throw explained; }
        metadata.Remove(ModelMetadata.Epoch);
        metadata[ModelMetadata.TestAccuracy] = result.Accuracy.ToString("R", CultureInfo.InvariantCulture);
        ModelFile.Save(model, request.OutputPath, metadata);
        checkpoint.Delete();
        return new(request.OutputPath, result.Accuracy, result.Loss, epochs, clock.Elapsed, model.Graph.TrainableParameterCount);
    }

    /// <summary>The options record of MixBit versions before the per-option record (so their checkpoints still resume).</summary>
    private static string LegacyOptionsJson(TrainRequest r) => JsonSerializer.Serialize(new
    {
        Architecture = r.InitialModelPath ?? r.Architecture, Width = r.InitialModelPath is null ? r.Width : (double?)null, r.Options.Epochs,
        r.Options.BatchSize, r.Options.Optimizer, r.Options.LearningRate, r.Options.Seed, r.Data.ValidationCount, r.Data.SplitSeed,
    });

    /// <summary>Every setting that changes the trained model, by command-line option (a resume must repeat them all).</summary>
    private static Dictionary<string, string> OptionsOf(TrainRequest r)
    {
        var o = r.Options;
        var options = new Dictionary<string, string>();
        if (r.InitialModelPath is not null) options["--model"] = RunOutputs.ContentId(r.InitialModelPath);
        else
        {
            options["--arch"] = r.Architecture;
            options["--width"] = RunOutputs.Number(r.Width);
            options["dropout"] = RunOutputs.Number(r.Dropout);
        }
        options["--epochs"] = o.Epochs.ToString(CultureInfo.InvariantCulture);
        options["--batch-size"] = o.BatchSize.ToString(CultureInfo.InvariantCulture);
        options["--optimizer"] = o.Optimizer;
        options["--lr"] = RunOutputs.Number(o.LearningRate);
        options["--schedule"] = o.Schedule;
        options["--weight-decay"] = RunOutputs.Number(o.WeightDecay);
        options["augmentation (--no-augment)"] = RunOutputs.Describe(o.Augmentation);
        options["momentum"] = RunOutputs.Number(o.Momentum);
        options["warm-up steps"] = o.WarmupSteps.ToString(CultureInfo.InvariantCulture);
        options["label smoothing"] = RunOutputs.Number(o.LabelSmoothing);
        options["--seed"] = o.Seed.ToString(CultureInfo.InvariantCulture);
        options["--data"] = r.Data.Location;
        options["--validation"] = r.Data.ValidationCount.ToString(CultureInfo.InvariantCulture);
        options["validation split seed"] = r.Data.SplitSeed.ToString(CultureInfo.InvariantCulture);
        // Per-thread gradient partials are summed in a thread-count-dependent order: the bits depend on it.
        options["--threads"] = Tensors.Workers.Count.ToString(CultureInfo.InvariantCulture);
        return options;
    }
}
