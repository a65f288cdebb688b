using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MixBit.Data;
using MixBit.Models;
using MixBit.Nn;
using MixBit.Nn.Training;
using MixBit.Quantization;

namespace MixBit.Workflows;

/// <summary>What `mixbit finetune` trains: a float model file, a policy, options, and where to write the result.</summary>
public sealed record FinetuneRequest(
    string ModelPath, PolicySource Policy, QuantizationOptions Quantization, QatOptions Options, string OutputPath,
    bool Resume = false, string? DataDirectory = null, int ValidationCount = 5000);

/// <summary>Test accuracies of the float model, after calibration only, and after fine-tuning (the last two fake-quantized).</summary>
public sealed record FinetuneOutcome(string ModelPath, string PolicyPath, string PolicySummary, float FloatTestAccuracy,
    float? CalibratedTestAccuracy, float QuantizedTestAccuracy, IReadOnlyList<EpochResult> Epochs, TimeSpan Duration);

/// <summary>
/// Quantization-aware fine-tuning of a model file for a bit policy. Calibrates the fake-quantized network, fine-tunes it
/// (<see cref="QatTrainer"/>), and saves the model (float weights, BatchNorm unfolded) with the policy, options and learned
/// clip values in its metadata (<see cref="QuantizationMetadata"/>) and the policy beside it (OUT.policy.json). After
/// every epoch a checkpoint (model + optimizer state) is written atomically, so an interrupted run continues with --resume.
/// </summary>
public static class FinetuneWorkflow
{
    public const string OptionsKey = "mixbit.finetune.options";

    public static string CheckpointPath(string output) => RunCheckpoint.PathFor(output);
    public static string PolicyPath(string output) => Path.ChangeExtension(output, null) + ".policy.json";

    public static FinetuneOutcome Run(FinetuneRequest request, IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        request.Options.Validate();
        var clock = Stopwatch.StartNew();
        var data = QuantizeWorkflow.Load(request.ModelPath, request.DataDirectory, request.ValidationCount, EvaluationSplit.Test, 0,
            request.Quantization, request.Options.Seed);
        var graph = data.Model.Graph;
        var policy = request.Policy.Resolve(graph, data.Stored);
        string optionsJson = JsonSerializer.Serialize(new { request.ModelPath, Policy = policy.ToJson(), request.Quantization, request.Options, request.ValidationCount },
            new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } });

        var checkpoint = new RunCheckpoint(request.OutputPath, OptionsKey, optionsJson, "fine-tuning");
        var resumedRun = checkpoint.Open(request.Resume);
        bool resuming = resumedRun is not null;
        var teacherModel = data.Model.Clone();
        var student = resumedRun?.Model ?? data.Model;
        int startEpoch = resumedRun?.NextEpoch ?? 0;
        var resumed = resumedRun is { } r ? QuantizationMetadata.Read(r.Metadata) : null;

        var teacher = new Network(teacherModel);
        var network = new FakeQuantNetwork(student, policy, request.Quantization, data.Normalization, request.Options.Seed);
        var statistics = CalibrationStatistics.Collect(network, CalibrationStatistics.Batches(data.Calibration, data.Normalization,
            request.Quantization.CalibrationBatchSize, request.Quantization.CalibrationBatches));
        statistics.ApplyTo(network);
        resumed?.Ranges.ApplyTo(network);

        var test = data.Evaluation;
        float floatAccuracy = Evaluator.Evaluate(teacher, test, data.Normalization, cancel: cancel).Accuracy;
        float? calibrated = resuming ? null : Evaluator.Evaluate(network.Network, test, data.Normalization, cancel: cancel).Accuracy;

        var train = data.Train;
        if (request.Options.TrainCount > 0 && request.Options.TrainCount < train.Count)
        {
            var order = Enumerable.Range(0, train.Count).ToArray();
            new SeededRandom(SeededRandom.Mix(request.Options.Seed, 0x0A7)).Shuffle(order);
            train = train.Subset(order[..request.Options.TrainCount]);
        }

        var trainer = new QatTrainer(network, request.Options, request.Options.Distill ? teacher : null);
        if (resuming) checkpoint.RestoreOptimizer(trainer.Optimizer);
        var metadata = new Dictionary<string, string>(data.Metadata.Where(p => p.Key != QuantizationMetadata.Key && p.Key != ModelMetadata.TestAccuracy));
        ModelMetadata.WriteNormalization(metadata, data.Normalization);
        metadata[OptionsKey] = optionsJson;
        trainer.EpochCompleted = (epoch, _) =>
        {
            metadata[QuantizationMetadata.Key] = QuantizationMetadata.From(network).ToJson();
            checkpoint.Save(student, metadata, epoch, trainer.Optimizer);
        };
        var epochs = trainer.Train(train, data.Validation, data.Normalization, progress, startEpoch, cancel);

        float quantized = Evaluator.Evaluate(network.Network, test, data.Normalization, cancel: cancel).Accuracy;
        metadata.Remove(ModelMetadata.Epoch);
        metadata[QuantizationMetadata.Key] = QuantizationMetadata.From(network).ToJson();
        metadata[ModelMetadata.TestAccuracy] = quantized.ToString("R", CultureInfo.InvariantCulture);
        ModelFile.Save(student, request.OutputPath, metadata);
        string policyPath = PolicyPath(request.OutputPath);
        policy.Write(policyPath);
        checkpoint.Delete();
        return new(request.OutputPath, policyPath, QuantizeWorkflow.Summarize(policy), floatAccuracy, calibrated, quantized, epochs, clock.Elapsed);
    }
}
