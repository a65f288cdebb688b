using System.CommandLine;
using MixBit.Data;
using MixBit.Quantization;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit finetune`: quantization-aware fine-tuning of a model file for a bit policy.</summary>
public static class FinetuneCommand
{
    public static Command Create()
    {
        var defaults = new QatOptions();
        var model = new Option<string>("--model", "-m") { Description = "Float model file (ONNX)", Required = true };
        var policy = new Option<string?>("--policy") { Description = "Bit policy JSON file" };
        var wBits = new Option<int?>("--w-bits") { Description = "Uniform weight bits (2, 4 or 8) instead of --policy" };
        var aBits = new Option<int?>("--a-bits") { Description = "Uniform activation bits (2, 4 or 8) instead of --policy" };
        var keep8 = new Option<bool>("--keep-first-last-8bit") { Description = "Keep the first and last quantizable layers at 8/8 bits" };
        var epochs = new Option<int>("--epochs") { Description = "Fine-tuning epochs", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate (cosine schedule)", DefaultValueFactory = _ => defaults.LearningRate };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd (momentum, Nesterov) or adam", DefaultValueFactory = _ => defaults.Optimizer };
        var distill = new Option<bool>("--distill") { Description = "Distil from the float model (soft targets)" };
        var temperature = new Option<float>("--temperature") { Description = "Distillation temperature", DefaultValueFactory = _ => defaults.Temperature };
        var freeze = new Option<int>("--freeze-bn-after") { Description = "Freeze BatchNorm statistics after this many steps", DefaultValueFactory = _ => defaults.FreezeBatchNormAfter };
        var trainCount = new Option<int>("--train-count") { Description = "Training images per epoch, a seeded subset (0 = all)", DefaultValueFactory = _ => 0 };
        var calibration = new Option<string>("--calibration") { Description = "Initial activation ranges: minmax, percentile or mse", DefaultValueFactory = _ => "mse" };
        var weightRange = new Option<string>("--weight-calibration") { Description = "Weight clip ratios: minmax or mse (chosen once, kept while training)", DefaultValueFactory = _ => "minmax" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "One weight scale per tensor instead of per output channel" };
        var bn = new Option<string>("--bn") { Description = "BatchNorm: fold or keep", DefaultValueFactory = _ => "fold" };
        var seed = new Option<int>("--seed") { Description = "Seed for data order, augmentation and calibration images", DefaultValueFactory = _ => 0 };
        var data = CommonOptions.Data();
        var output = new Option<string>("--output", "-o") { Description = "Fine-tuned model file to write (ONNX)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its last epoch checkpoint" };
        var force = CommonOptions.Force();
        var threads = CommonOptions.Threads();

        var cmd = new Command("finetune", "Quantization-aware fine-tuning of a model for a bit policy")
        { model, policy, wBits, aBits, keep8, epochs, batch, lr, optimizer, distill, temperature, freeze, trainCount, calibration, weightRange, perTensor, bn, seed, data, output, resume, force, threads };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var qat = defaults with
            {
                Epochs = p.GetValue(epochs), BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), Optimizer = p.GetValue(optimizer)!,
                Distill = p.GetValue(distill), Temperature = p.GetValue(temperature), FreezeBatchNormAfter = p.GetValue(freeze),
                TrainCount = p.GetValue(trainCount), Seed = p.GetValue(seed),
            };
            var quantization = new QuantizationOptions
            {
                ActivationRange = QuantizationOptions.ParseRange(p.GetValue(calibration)!),
                WeightRange = QuantizationOptions.ParseRange(p.GetValue(weightRange)!), PerChannelWeights = !p.GetValue(perTensor),
                BatchNorm = QuantizationOptions.ParseBatchNorm(p.GetValue(bn)!),
            };
            var request = new FinetuneRequest(p.GetValue(model)!, new PolicySource(p.GetValue(policy), p.GetValue(wBits), p.GetValue(aBits), p.GetValue(keep8)),
                quantization, qat, p.GetValue(output)!, p.GetValue(resume), p.GetValue(data), Force: p.GetValue(force));
            var o = Interruption.Run(cancel => FinetuneWorkflow.Run(request, new TrainingProgressView.Reporter(), cancel));
            string calibrated = o.CalibratedTestAccuracy is { } c ? $"{c:P2}" : "n/a (resumed)";
            AnsiConsole.MarkupLineInterpolated($"policy: {o.PolicySummary}");
            AnsiConsole.MarkupLineInterpolated(
                $"[green]saved[/] {o.ModelPath} (+ {o.PolicyPath}): test accuracy float {o.FloatTestAccuracy:P2}, calibration only {calibrated}, after fine-tuning [bold]{o.QuantizedTestAccuracy:P2}[/], {o.Duration:hh\\:mm\\:ss}");
            return 0;
        });
        return cmd;
    }
}
