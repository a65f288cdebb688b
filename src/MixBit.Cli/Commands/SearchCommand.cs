using System.CommandLine;
using MixBit.Data;
using MixBit.Memory;
using MixBit.Quantization;
using MixBit.Search;
using MixBit.Search.Ddpg;
using MixBit.Search.Strategies;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit search`: find a per-layer 2/4/8-bit policy that fits the device and keeps the most accuracy.</summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var ddpg = new DdpgOptions();
        var request = new SearchRequest { ModelPath = "", Budget = new MemoryBudget(1, 1) };
        var model = new Option<string>("--model", "-m") { Description = "Trained float model (ONNX)", Required = true };
        var budget = new BudgetOptions();
        var strategy = new Option<string>("--strategy") { Description = $"Search strategy: {string.Join(", ", StrategyFactory.Names)}", DefaultValueFactory = _ => request.Strategy };
        var episodes = new Option<int>("--episodes") { Description = "DDPG episodes (and random-search candidates: the same number of evaluations)", DefaultValueFactory = _ => request.Episodes };
        var seed = new Option<int>("--seed") { Description = "Seed of the search (actions, exploration, network initialisation)", DefaultValueFactory = _ => 0 };
        var reward = new Option<string>("--reward") { Description = "accuracy (validation labels) or fidelity (label-free agreement with the float model)", DefaultValueFactory = _ => "accuracy" };
        var pinEnds = new Option<bool>("--pin-ends") { Description = "Keep the first and last layers at 8/8 bits (HAQ's choice)" };
        var evalImages = new Option<int>("--eval-images") { Description = "Validation images each policy is evaluated on (never test images)", DefaultValueFactory = _ => request.EvaluationImages };
        var validation = CommonOptions.Validation(request.ValidationCount);
        var data = CommonOptions.Data();
        var calibration = new Option<string>("--calibration") { Description = "Activation ranges: minmax, percentile or mse", DefaultValueFactory = _ => "mse" };
        var weightRange = new Option<string>("--weight-calibration") { Description = "Weight ranges: minmax or mse", DefaultValueFactory = _ => "minmax" };
        var bn = new Option<string>("--bn") { Description = "BatchNorm: fold or keep", DefaultValueFactory = _ => "fold" };
        var warmup = new Option<int>("--warmup") { Description = "DDPG warm-up episodes of random actions", DefaultValueFactory = _ => ddpg.WarmupEpisodes };
        var sigma = new Option<double>("--sigma") { Description = "DDPG initial exploration sigma (truncated normal)", DefaultValueFactory = _ => ddpg.InitialSigma };
        var sigmaDecay = new Option<double?>("--sigma-decay") { Description = $"DDPG exploration decay per episode after warm-up (default: the decay that brings sigma to {ddpg.FinalSigma} at the last episode; 0.99, HAQ's, for 300 episodes)" };
        var initialBits = new Option<int>("--initial-bits") { Description = "Bit-width the untrained agent proposes everywhere (the constraint step makes it fit)", DefaultValueFactory = _ => ddpg.InitialBits };
        var actorLr = new Option<float>("--actor-lr") { Description = "DDPG actor learning rate (Adam)", DefaultValueFactory = _ => ddpg.ActorLearningRate };
        var criticLr = new Option<float>("--critic-lr") { Description = "DDPG critic learning rate (Adam)", DefaultValueFactory = _ => ddpg.CriticLearningRate };
        var finetune = new Option<int>("--finetune-images") { Description = "Fine-tune each policy for one QAT epoch on this many training images before evaluating it (0 = calibration only)", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the search's outputs (search.json, search.jsonl, policy.json, summary.json)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted search in --out from its log" };
        var threads = CommonOptions.Threads();

        var cmd = new Command("search", "Search a per-layer 2/4/8-bit policy that fits the device (DDPG agent, or random, greedy, exact, rule-based, uniform)")
        {
            model, strategy, episodes, seed, reward, pinEnds, evalImages, validation, data, calibration, weightRange, bn,
            warmup, sigma, sigmaDecay, initialBits, actorLr, criticLr, finetune, output, resume, threads,
        };
        foreach (var o in budget.All) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var r = request with
            {
                ModelPath = p.GetValue(model)!, Budget = budget.Resolve(p), Strategy = p.GetValue(strategy)!, Episodes = p.GetValue(episodes),
                Seed = p.GetValue(seed), Reward = Reward.Parse(p.GetValue(reward)!), PinEnds = p.GetValue(pinEnds),
                EvaluationImages = p.GetValue(evalImages), FinetuneImages = p.GetValue(finetune), ValidationCount = p.GetValue(validation), DataDirectory = p.GetValue(data),
                Options = new QuantizationOptions
                {
                    ActivationRange = QuantizationOptions.ParseRange(p.GetValue(calibration)!),
                    WeightRange = QuantizationOptions.ParseRange(p.GetValue(weightRange)!),
                    BatchNorm = QuantizationOptions.ParseBatchNorm(p.GetValue(bn)!),
                },
                Ddpg = ddpg with
                {
                    WarmupEpisodes = p.GetValue(warmup), InitialSigma = p.GetValue(sigma), SigmaDecay = p.GetValue(sigmaDecay), InitialBits = p.GetValue(initialBits),
                    ActorLearningRate = p.GetValue(actorLr), CriticLearningRate = p.GetValue(criticLr),
                },
            };
            string outDir = p.GetValue(output)!;
            var view = new SearchProgressView();
            var s = Interruption.Run(cancel => SearchWorkflow.Run(r, outDir, p.GetValue(resume), view.Report, CliErrors.Warn, cancel));
            view.Finish();
            AnsiConsole.MarkupLineInterpolated(
                $"[green]{s.Strategy}[/] on {s.Device}: accuracy [bold]{s.Accuracy:P2}[/] (float {s.FloatAccuracy:P2}, validation), FLASH {MemorySize.Format(s.FlashBytes)} ({s.FlashUtilisation:P1}), RAM {MemorySize.Format(s.PeakRamBytes)} ({s.RamUtilisation:P1}); {s.Evaluations} evaluations, {TimeSpan.FromSeconds(s.WallSeconds):hh\\:mm\\:ss}");
            AnsiConsole.MarkupLineInterpolated($"policy: {Path.Combine(outDir, SearchWorkflow.PolicyFile)} ({MemoryAnalyzer.Histogram(s.Policy)}); reserves {MemorySize.Format(s.FlashReserveBytes)} FLASH / {MemorySize.Format(s.RamReserveBytes)} RAM");
            return 0;
        });
        return cmd;
    }

    private static void Warn(string message) => Console.Error.WriteLine($"warning: {message}");
}
