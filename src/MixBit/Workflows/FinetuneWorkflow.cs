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
    bool Resume = false, string? DataDirectory = null, int ValidationCount = 5000, bool Force = false);

/// <summary>Test accuracies of the float model, after calibration only, and after fine-tuning (the last two fake-quantized).</summary>
public sealed record FinetuneOutcome(string ModelPath, string PolicyPath, string PolicySummary, float FloatTestAccuracy,
    float? CalibratedTestAccuracy, float QuantizedTestAccuracy, IReadOnlyList<EpochResult> Epochs, TimeSpan Duration, int TrainImages);

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
        // Paths first, so a bad output is reported before the data is loaded.
        string policyPath = PolicyPath(request.OutputPath);
        RunOutputs.Check([request.OutputPath, policyPath, .. RunCheckpoint.FilesFor(request.OutputPath)],
            [(request.ModelPath, "--model"), (request.Policy.PolicyPath, "--policy")], request.Force);
        var data = QuantizeWorkflow.Load(request.ModelPath, request.DataDirectory, request.ValidationCount, EvaluationSplit.Test, 0,
            request.Quantization, request.Options.Seed);
        var graph = data.Model.Graph;
        var policy = request.Policy.Resolve(graph, data.Stored);
        // The record of MixBit versions before the per-option one, so that their checkpoints still resume.
        string legacy = JsonSerializer.Serialize(new { request.ModelPath, Policy = policy.ToJson(), request.Quantization, request.Options, request.ValidationCount },
            new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } });
        var checkpoint = new RunCheckpoint(request.OutputPath, OptionsKey, OptionsOf(request, policy), "fine-tuning", legacy);
        string optionsJson = checkpoint.OptionsJson;
        var resumedRun = checkpoint.Open(request.Resume, request.Force);
        bool resuming = resumedRun is not null;
        var teacherModel = data.Model.Clone();
        var student = resumedRun?.Model ?? data.Model;
        int startEpoch = resumedRun?.NextEpoch ?? 0;
        var resumed = resumedRun is { } r ? QuantizationMetadata.Read(r.Metadata) : null;

        var teacher = new Network(teacherModel) { ParametersFrozen = true }; // inference only
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
        IReadOnlyList<EpochResult> epochs;
        float quantized;
        try
        {
            epochs = trainer.Train(train, data.Validation, data.Normalization, progress, startEpoch, cancel);
            quantized = Evaluator.Evaluate(network.Network, test, data.Normalization, cancel: cancel).Accuracy;
        }
        catch (Exception e) when (checkpoint.Explain(e, request.Options.Epochs) is { } explained) { throw explained; }
        metadata.Remove(ModelMetadata.Epoch);
        metadata[QuantizationMetadata.Key] = QuantizationMetadata.From(network).ToJson();
        metadata[ModelMetadata.TestAccuracy] = quantized.ToString("R", CultureInfo.InvariantCulture);
        ModelFile.Save(student, request.OutputPath, metadata);
        policy.Write(policyPath);
        checkpoint.Delete();
        return new(request.OutputPath, policyPath, QuantizeWorkflow.Summarize(policy), floatAccuracy, calibrated, quantized, epochs, clock.Elapsed, train.Count);
    }

    /// <summary>Every setting that changes the fine-tuned model, by command-line option (a resume must repeat them all).</summary>
    private static Dictionary<string, string> OptionsOf(FinetuneRequest r, BitPolicy policy)
    {
        static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
        var (o, q) = (r.Options, r.Quantization);
        return new Dictionary<string, string>
        {
            ["--model"] = RunOutputs.ContentId(r.ModelPath),
            // The resolved bits, whichever of --policy, --w-bits/--a-bits and --keep-first-last-8bit gave them.
            ["bit policy (--policy, --w-bits, --a-bits)"] = $"{QuantizeWorkflow.Summarize(policy)} ({RunOutputs.Id(System.Text.Encoding.UTF8.GetBytes(policy.ToJson()))})",
            ["--calibration"] = q.ActivationRange.ToString(),
            ["--weight-calibration"] = q.WeightRange.ToString(),
            ["--per-tensor"] = q.PerChannelWeights ? "no" : "yes",
            ["--bn"] = q.BatchNorm.ToString(),
            ["quantization options"] = JsonSerializer.Serialize(q, new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } }),
            ["--epochs"] = Int(o.Epochs),
            ["--batch-size"] = Int(o.BatchSize),
            ["--lr"] = RunOutputs.Number(o.LearningRate),
            ["--optimizer"] = o.Optimizer,
            ["--distill"] = o.Distill ? "yes" : "no",
            ["--temperature"] = RunOutputs.Number(o.Temperature),
            ["distillation weight"] = RunOutputs.Number(o.DistillWeight),
            ["--freeze-bn-after"] = Int(o.FreezeBatchNormAfter),
            ["--train-count"] = Int(o.TrainCount),
            ["--seed"] = Int(o.Seed),
            ["momentum"] = RunOutputs.Number(o.Momentum),
            ["weight decay"] = RunOutputs.Number(o.WeightDecay),
            ["augmentation"] = RunOutputs.Describe(o.Augmentation),
            ["--data"] = new DatasetSource(r.DataDirectory).Location,
            ["--validation"] = Int(r.ValidationCount),
            // Per-thread gradient partials are summed in a thread-count-dependent order: the bits depend on it.
            ["--threads"] = Int(Tensors.Workers.Count),
        };
    }
}
