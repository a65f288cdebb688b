using System.CommandLine;
using MixBit.Data;
using MixBit.Models.Architectures;
using MixBit.Nn.Training;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit train`: trains a built-in architecture (or fine-tunes a model file) on Fashion-MNIST.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainingOptions();
        var arch = new Option<string>("--arch") { Description = $"Architecture: {string.Join(", ", ArchitectureRegistry.Names)}", DefaultValueFactory = _ => "mobilenet_v1" };
        var width = new Option<double>("--width") { Description = "Width multiplier", DefaultValueFactory = _ => 0.25 };
        var model = new Option<string?>("--model") { Description = "Fine-tune this model file (ONNX) instead of a new built-in network" };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd (momentum, Nesterov) or adam", DefaultValueFactory = _ => defaults.Optimizer };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: cosine, step or constant", DefaultValueFactory = _ => defaults.Schedule };
        var wd = new Option<float>("--weight-decay") { Description = "Weight decay on conv/linear weights", DefaultValueFactory = _ => defaults.WeightDecay };
        var noAugment = new Option<bool>("--no-augment") { Description = "Disable random crop (pad 2) and horizontal flip" };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation, data order and augmentation", DefaultValueFactory = _ => 0 };
        var data = CommonOptions.Data();
        var validation = CommonOptions.Validation(new Workflows.DatasetSource().ValidationCount);
        var output = new Option<string>("--output", "-o") { Description = "Model file to write (ONNX)", DefaultValueFactory = _ => "runs/default/model.onnx" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its last epoch checkpoint" };
        var force = CommonOptions.Force();
        var threads = CommonOptions.Threads();

        var cmd = new Command("train", "Train a model on --data (Fashion-MNIST by default) and save it as ONNX")
        { arch, width, model, epochs, batch, lr, optimizer, schedule, wd, noAugment, seed, data, validation, output, resume, force, threads };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var options = defaults with
            {
                Epochs = p.GetValue(epochs), BatchSize = p.GetValue(batch), LearningRate = p.GetValue(lr), Optimizer = p.GetValue(optimizer)!,
                Schedule = p.GetValue(schedule)!, WeightDecay = p.GetValue(wd), Seed = p.GetValue(seed),
                Augmentation = p.GetValue(noAugment) ? Augmentation.None : defaults.Augmentation,
            };
            var request = new TrainRequest(p.GetValue(arch)!, p.GetValue(width), p.GetValue(model),
                new DatasetSource(p.GetValue(data), p.GetValue(validation)), options, p.GetValue(output)!, p.GetValue(resume), Force: p.GetValue(force));
            var outcome = Interruption.Run(cancel => TrainWorkflow.Run(request, new TrainingProgressView.Reporter(), cancel));
            AnsiConsole.MarkupLineInterpolated(
                $"[green]saved[/] {outcome.ModelPath}: {outcome.Parameters:N0} parameters, test accuracy [bold]{outcome.TestAccuracy:P2}[/] (loss {outcome.TestLoss:F4}), {outcome.Duration:hh\\:mm\\:ss}");
            return 0;
        });
        return cmd;
    }
}
