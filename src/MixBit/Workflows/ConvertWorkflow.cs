using System.Text.Json;
using System.Text.Json.Serialization;
using MixBit.Integer;
using MixBit.Models.Onnx;
using MixBit.Quantization;

namespace MixBit.Workflows;

/// <summary>What `mixbit convert` turns into an integer model: a model file, where its policy comes from, options, the output file.</summary>
/// <param name="QdqPath">Where to write the QDQ ONNX form of the integer model as well (none when null).</param>
public sealed record ConvertRequest(string ModelPath, PolicySource Policy, QuantizationOptions Options, string OutputPath,
    int Seed = 0, string? DataDirectory = null, int ValidationCount = 5000, string? QdqPath = null);

/// <param name="PlanFlashBytes">The memory model's FLASH for the same plan and policy (equal to the stored bytes).</param>
public sealed record ConvertOutcome(string OutputPath, string? QdqPath, string PolicySummary, bool LearnedRanges, QuantizedModel Model, long PlanFlashBytes, IntegerFidelity Fidelity);

/// <summary>
/// Converts a model file into the integer-only model (.mbq): calibrates the fake-quant network for the resolved policy
/// (the ranges a fine-tuned model learned replace the calibrated ones, as for `mixbit quantize`), converts it
/// (<see cref="IntegerConverter"/>), saves it (and its QDQ ONNX form when asked), and checks the integer model against the fake-quant network on the test set.
/// </summary>
public static class ConvertWorkflow
{
    public const string SourceKey = "mixbit.source_model";
    public const string PolicyKey = "mixbit.policy";
    public const string OptionsKey = "mixbit.quantization_options";

    public static ConvertOutcome Run(ConvertRequest request, IProgress<string>? progress = null)
    {
        IntegerConverter.CheckOptions(request.Options);
        progress?.Report("loading the model and the data");
        var data = QuantizeWorkflow.Load(request.ModelPath, request.DataDirectory, request.ValidationCount, EvaluationSplit.Test, 0, request.Options, request.Seed);
        var (policy, options, learned) = QuantizeWorkflow.Resolve(request.Policy, request.Options, data);
        IntegerConverter.CheckOptions(options);

        progress?.Report("calibrating");
        var network = new FakeQuantNetwork(data.Model, policy, options, data.Normalization, request.Seed);
        CalibrationStatistics.Collect(network, CalibrationStatistics.Batches(data.Calibration, data.Normalization, options.CalibrationBatchSize, options.CalibrationBatches))
            .ApplyTo(network);
        learned?.ApplyTo(network);

        progress?.Report("converting");
        var metadata = new Dictionary<string, string>
        {
            [SourceKey] = Path.GetFileName(request.ModelPath),
            [PolicyKey] = policy.ToJson(),
            [OptionsKey] = JsonSerializer.Serialize(options, new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } }),
        };
        var model = IntegerConverter.Convert(network, metadata);
        QuantizedModelFile.Save(model, request.OutputPath);
        if (request.QdqPath is not null) QdqExporter.Save(model, request.QdqPath);

        progress?.Report($"checking against the fake-quant model on {data.Evaluation.Count:N0} test images");
        var fidelity = IntegerEvaluation.Compare(network, new IntegerEngine(model), data.Evaluation, data.Normalization);
        string summary = QuantizeWorkflow.Summarize(policy) + (learned is null ? "" : " (learned ranges)");
        return new ConvertOutcome(request.OutputPath, request.QdqPath, summary, learned is not null, model, network.Plan.Price(policy).FlashBytes, fidelity);
    }
}
