using System.CommandLine;
using MixBit.Nn.Training;
using MixBit.Search;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit run`: the whole flow from a float model to an integer model and its report, resumable, in one folder.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var defaults = new RunRequest { OutDirectory = "", Budget = new Memory.MemoryBudget(1, 1) };
        var model = new Option<string?>("--model", "-m") { Description = "Trained float model (ONNX); default: the built-in MobileNetV1 0.25 trained on Fashion-MNIST" };
        var arch = new Option<string?>("--arch") { Description = "Train this built-in architecture on the data first (mobilenet_v1, mobilenet_v2, mnasnet); the default for an image folder without --model" };
        var width = new Option<double>("--width") { Description = "Width multiplier of --arch", DefaultValueFactory = _ => defaults.Width };
        var trainEpochs = new Option<int>("--train-epochs") { Description = "Epochs of training for --arch", DefaultValueFactory = _ => defaults.TrainEpochs };
        var data = CommonOptions.Data();
        var validation = CommonOptions.Validation(defaults.ValidationCount);
        var budget = new BudgetOptions();
        var strategy = new Option<string>("--strategy") { Description = $"Search strategy: {string.Join(", ", Search.Strategies.StrategyFactory.Names)}", DefaultValueFactory = _ => defaults.Strategy };
        var episodes = new Option<int>("--episodes") { Description = "Search episodes (DDPG) or candidates (random)", DefaultValueFactory = _ => defaults.Episodes };
        var evalImages = new Option<int>("--eval-images") { Description = "Validation images each searched policy is evaluated on", DefaultValueFactory = _ => defaults.EvaluationImages };
        var finetuneEpochs = new Option<int>("--finetune-epochs") { Description = "Epochs of quantization-aware fine-tuning of the chosen policy (0: none)", DefaultValueFactory = _ => defaults.FinetuneEpochs };
        var finetuneImages = new Option<int>("--finetune-images") { Description = "Training images of the fine-tune (0: the whole training split)", DefaultValueFactory = _ => defaults.FinetuneImages };
        var seed = new Option<int>("--seed") { Description = "Seed of the search, the fine-tune and the calibration images", DefaultValueFactory = _ => 0 };
        var quick = new Option<bool>("--quick") { Description = "The short form (16 search episodes on 500 images, one QAT epoch on 3,000 images): checks the flow end to end in minutes" };
        var output = new Option<string>("--out", "-o") { Description = "Run folder (layout: docs/RUN.md); run the same command again to resume", Required = true };
        var threads = CommonOptions.Threads();
        var cmd = new Command("run", "The whole flow: float model -> memory analysis -> search -> QAT -> integer model -> report, in one resumable run folder")
        {
            model, arch, width, trainEpochs, data, validation, strategy, episodes, evalImages, finetuneEpochs, finetuneImages, seed, quick, output, threads,
        };
        foreach (var o in budget.All) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var request = defaults with
            {
                OutDirectory = p.GetValue(output)!, Budget = budget.Resolve(p), ModelPath = p.GetValue(model), Architecture = p.GetValue(arch),
                Width = p.GetValue(width), TrainEpochs = p.GetValue(trainEpochs), DataDirectory = p.GetValue(data), ValidationCount = p.GetValue(validation),
                Strategy = p.GetValue(strategy)!, Episodes = p.GetValue(episodes), EvaluationImages = p.GetValue(evalImages),
                FinetuneEpochs = p.GetValue(finetuneEpochs), FinetuneImages = p.GetValue(finetuneImages), Seed = p.GetValue(seed),
            };
            if (p.GetValue(quick)) request = RunRequest.QuickForm(request);
            var view = new View();
            var o = Interruption.Run(cancel => RunWorkflow.Run(request, view, cancel, OnnxRuntimeQdq.Run));
            AnsiConsole.MarkupLineInterpolated($"[green]done[/] in {o.Duration:hh\\:mm\\:ss}: report [bold]{o.HtmlReport}[/] (and {o.MarkdownReport})");
            if (o.Problem is null) return 0;
            CliErrors.Report(o.Problem);
            return 1;
        });
        return cmd;
    }

    /// <summary>One line per stage boundary; the long stages draw their own progress (search status, training epochs).</summary>
    private sealed class View : IRunObserver
    {
        private readonly SearchProgressView _search = new();
        private bool _searching;

        public IProgress<TrainingProgress> Training { get; } = new TrainingProgressView.Reporter();

        public void StageStarted(string stage, string what)
        {
            EndSearchLine();
            AnsiConsole.MarkupLineInterpolated($"[bold]{stage}[/]: {what}");
        }

        public void StageSkipped(string stage, string why)
        {
            EndSearchLine();
            AnsiConsole.MarkupLineInterpolated($"[yellow]{stage}[/] skipped: {why}");
        }

        public void StageFinished(string stage, string result)
        {
            EndSearchLine();
            AnsiConsole.MarkupLineInterpolated($"[green]{stage}[/]: {result}");
        }

        public void Search(SearchProgress progress)
        {
            _searching = true;
            _search.Report(progress);
        }

        public void Warn(string message) => CliErrors.Warn(message);

        private void EndSearchLine()
        {
            if (_searching) _search.Finish();
            _searching = false;
        }
    }
}
