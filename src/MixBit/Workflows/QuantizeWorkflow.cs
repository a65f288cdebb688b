using MixBit.Data;
using MixBit.Models;
using MixBit.Nn;
using MixBit.Quantization;

namespace MixBit.Workflows;

/// <summary>What `mixbit quantize` evaluates: a model file, where its policy comes from, options and images.</summary>
public sealed record QuantizeRequest(string ModelPath, PolicySource Policy, QuantizationOptions Options, EvaluationSplit Split = EvaluationSplit.Test,
    int EvaluationCount = 0, int Seed = 0, string? DataDirectory = null, int ValidationCount = 5000);

/// <param name="FineTuned">The model's learned ranges were used: its "float" accuracy is that of the fine-tuned weights unquantized.</param>
public sealed record QuantizeOutcome(PolicyEvaluationResult Result, string PolicySummary, bool FineTuned);

/// <summary>A model file with everything needed to evaluate policies on it: the model, its normalisation and the image sets.</summary>
public sealed record QuantizationData(Model Model, Normalization Normalization, ImageDataset Calibration, ImageDataset Evaluation,
    ImageDataset Train, ImageDataset Validation, QuantizationMetadata? Stored, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Calibrate-and-evaluate of a bit policy for a model file. <see cref="Evaluate(PolicyEvaluationRequest)"/> is the pure
/// function (request -> result); <see cref="CreateEvaluator"/> gives the cached evaluator a search calls many times.
/// Calibration images: a seeded sample of the validation split (batches x batch size); validation evaluation images are
/// the next ones of the same permutation, so the two never overlap.
/// </summary>
public static class QuantizeWorkflow
{
    /// <summary>`mixbit quantize`: resolves the policy (file, flags or the one stored in a fine-tuned model), calibrates and evaluates.</summary>
    public static QuantizeOutcome Run(QuantizeRequest request)
    {
        var data = Load(request.ModelPath, request.DataDirectory, request.ValidationCount, request.Split, request.EvaluationCount, request.Options, request.Seed);
        var (policy, options, learned) = Resolve(request.Policy, request.Options, data);
        var evaluator = new PolicyEvaluator(data.Model, data.Normalization, data.Calibration, data.Evaluation, options, learned);
        return new(evaluator.Evaluate(policy), Summarize(policy) + (learned is null ? "" : " (learned ranges)"), learned is not null);
    }

    /// <summary>
    /// The policy, options and learned ranges a command quantizes with: the policy from the source (file, flags, or the
    /// one a fine-tuned model stores); a fine-tuned model without a policy on the command line is quantized as it was
    /// trained (stored options and learned clips); the learned ranges apply only to the exact options and bits they were
    /// learned for.
    /// </summary>
    public static (BitPolicy Policy, QuantizationOptions Options, LearnedRanges? Learned) Resolve(PolicySource source, QuantizationOptions requested, QuantizationData data)
    {
        var policy = source.Resolve(data.Model.Graph, data.Stored);
        var options = data.Stored is { } st && source.IsEmpty ? st.Options : requested;
        var learned = data.Stored is { } s && s.Options == options && s.Policy(data.Model.Graph).SameBitsAs(policy) ? s.Ranges : null;
        return (policy, options, learned);
    }

    /// <summary>"w4/a4 x 27" or the distinct settings with their counts.</summary>
    public static string Summarize(BitPolicy policy)
        => string.Join(", ", policy.Layers.GroupBy(l => policy[l]).Select(g => $"{g.Key} x {g.Count()}"));

    public static PolicyEvaluationResult Evaluate(PolicyEvaluationRequest request)
    {
        var evaluator = CreateEvaluator(request, out var data);
        return evaluator.Evaluate(BitPolicy.FromJson(request.PolicyJson, data.Model.Graph));
    }

    public static PolicyEvaluator CreateEvaluator(PolicyEvaluationRequest request, out QuantizationData data)
    {
        data = Load(request.ModelPath, request.DataDirectory, request.ValidationCount, request.Split, request.EvaluationCount, request.Options, request.Seed);
        // Every policy is calibrated afresh (learned ranges belong to the one policy a model was fine-tuned for).
        return new PolicyEvaluator(data.Model, data.Normalization, data.Calibration, data.Evaluation, request.Options);
    }

    /// <param name="labelsRequired">False for the label-free (fidelity) search, which also takes an unlabelled image folder.</param>
    public static QuantizationData Load(string modelPath, string? dataDirectory, int validationCount, EvaluationSplit split,
        int evaluationCount, QuantizationOptions options, int seed, bool labelsRequired = true)
    {
        options.Validate();
        if (evaluationCount < 0) throw new MixBitException($"--count must be 0 (all images) or a positive number of images, got {evaluationCount}.");
        var (model, metadata) = ModelFile.LoadWithMetadata(modelPath);
        var sets = new DatasetSource(dataDirectory, validationCount).Load(model.Graph, metadata);
        if (labelsRequired) sets.RequireLabels("measure accuracy");
        var (train, validation, test) = sets;
        ModelDataCheck.Check(model.Graph, validation);
        var normalization = ModelMetadata.ReadNormalization(metadata) ?? Normalization.FromTrainingSet(train);
        if (validation.Count == 0) throw new MixBitException("Calibration needs a validation split: give --validation a positive count.");

        var order = Enumerable.Range(0, validation.Count).ToArray();
        new SeededRandom(SeededRandom.Mix(seed, 0xCA1)).Shuffle(order);
        // Evaluating on the validation split too, calibration takes at most half of it (a small image folder's included).
        int calibrationCount = Math.Min(split == EvaluationSplit.Validation ? Math.Max(1, validation.Count / 2) : validation.Count,
            options.CalibrationBatches * options.CalibrationBatchSize);
        var calibration = validation.Subset(order[..calibrationCount]);
        ImageDataset evaluation;
        if (split == EvaluationSplit.Test)
            evaluation = evaluationCount <= 0 || evaluationCount >= test.Count ? test : test.Subset(Enumerable.Range(0, evaluationCount).ToArray());
        else
        {
            var rest = order[calibrationCount..];
            if (rest.Length == 0) throw new MixBitException("The validation split is used up by calibration; raise --validation or lower the calibration batches.");
            evaluation = validation.Subset(evaluationCount <= 0 ? rest : rest[..Math.Min(evaluationCount, rest.Length)]);
        }
        return new(model, normalization, calibration, evaluation, train, validation, QuantizationMetadata.Read(metadata), metadata);
    }
}
