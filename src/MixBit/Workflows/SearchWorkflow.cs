using System.Text.Json;
using MixBit.Memory;
using MixBit.Quantization;
using MixBit.Search;
using MixBit.Search.Ddpg;
using MixBit.Search.Strategies;

namespace MixBit.Workflows;

/// <summary>
/// What `mixbit search` runs. Everything that changes the result is here and is stored in the run folder's search.json,
/// so a resumed run can check it is continuing the same search.
/// </summary>
public sealed record SearchRequest
{
    public required string ModelPath { get; init; }
    public required MemoryBudget Budget { get; init; }
    public string Strategy { get; init; } = "ddpg";
    public int Episodes { get; init; } = 300;
    public int Seed { get; init; }
    public RewardKind Reward { get; init; } = RewardKind.Accuracy;
    public bool PinEnds { get; init; }
    /// <summary>Validation images each policy is evaluated on (after the calibration images of the same split).</summary>
    public int EvaluationImages { get; init; } = 2000;
    public int ValidationCount { get; init; } = 5000;
    public string? DataDirectory { get; init; }
    public QuantizationOptions Options { get; init; } = new();
    /// <summary>Training images of a short QAT fine-tune (one epoch) before each evaluation; 0 = calibration only (default).</summary>
    public int FinetuneImages { get; init; }
    public DdpgOptions Ddpg { get; init; } = new();
}

/// <summary>The result of a search run (summary.json): the chosen policy, its figures, and what the search cost.</summary>
public sealed record SearchSummary(
    string Strategy, int Seed, string Model, string Device, long FlashBudgetBytes, long RamBudgetBytes, long FlashReserveBytes,
    long RamReserveBytes, long UsableFlashBytes, long UsableRamBytes, string Reward, float FloatAccuracy, float Accuracy,
    float Agreement, double MeanKl, double BestReward, long FlashBytes, long PeakRamBytes, double FlashUtilisation,
    double RamUtilisation, int Evaluations, int Queries, double WallSeconds, double EvaluationSeconds, int BestIndex,
    IReadOnlyList<PolicyLayer> Policy);

/// <summary>
/// `mixbit search`: loads the model and the validation split once, builds the plan and the search space, and runs one
/// strategy with a JSON-lines log (search.jsonl), the best policy so far (policy.json, rewritten atomically whenever
/// it improves) and a summary at the end (summary.json). With <c>resume</c>, an interrupted run continues from its log.
/// </summary>
public static class SearchWorkflow
{
    public const string ConfigFile = "search.json", LogFile = "search.jsonl", PolicyFile = "policy.json", SummaryFile = "summary.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static SearchSummary Run(SearchRequest request, string outDirectory, bool resume, Action<SearchProgress>? progress = null,
        Action<string>? warn = null, CancellationToken cancel = default)
    {
        Validate(request);
        var strategy = StrategyFactory.Create(request.Strategy, request.Episodes, request.Seed, request.Ddpg);
        PrepareFolder(outDirectory, request, resume);
        var data = QuantizeWorkflow.Load(request.ModelPath, request.DataDirectory, request.ValidationCount, EvaluationSplit.Validation,
            request.EvaluationImages, request.Options, seed: 0, labelsRequired: request.Reward == RewardKind.Accuracy || request.FinetuneImages > 0);
        var plan = DeploymentPlan.Build(data.Model.Graph);
        var space = new SearchSpace(plan, request.PinEnds);
        var evaluator = new PolicyEvaluator(data.Model, data.Normalization, data.Calibration, data.Evaluation, request.Options);
        IPolicyScorer scorer = new EvaluatorScorer(evaluator);
        if (request.FinetuneImages > 0)
        {
            var order = Enumerable.Range(0, data.Train.Count).ToArray();
            new Data.SeededRandom(Data.SeededRandom.Mix(0, 0xF17E)).Shuffle(order);
            var subset = data.Train.Subset(order[..Math.Min(request.FinetuneImages, order.Length)]);
            scorer = new FinetuningScorer(evaluator, subset, data.Normalization, new QatOptions { Epochs = 1 });
        }
        return Run(strategy, space, request, scorer, outDirectory, progress, warn, cancel);
    }

    /// <summary>Runs <paramref name="strategy"/> with any scorer (tests use synthetic ones) and writes the run folder.</summary>
    public static SearchSummary Run(ISearchStrategy strategy, SearchSpace space, SearchRequest request, IPolicyScorer scorer, string outDirectory,
        Action<SearchProgress>? progress = null, Action<string>? warn = null, CancellationToken cancel = default)
    {
        using var log = SearchLog.Open(Path.Combine(outDirectory, LogFile), resume: true, warn);
        var env = new SearchEnvironment(space, request.Budget, scorer, request.Reward, log, warn);
        int planned = strategy.PlannedQueries(env);
        SearchRecord? written = null;
        env.RecordAdded = record =>
        {
            if (env.Best is { } best && !ReferenceEquals(best.Record, written))
            {
                best.Policy.Write(Path.Combine(outDirectory, PolicyFile));
                written = best.Record;
            }
            progress?.Invoke(new SearchProgress(strategy.Name, env.Queries, planned, env.Evaluations, record, env.Best?.Record, env.Elapsed));
        };
        SearchOutcome outcome;
        try { outcome = strategy.Run(env, cancel); }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new RunInterruptedException($"Interrupted after {env.Queries} of {planned} search records: every finished evaluation is in {log.Path}" +
                $"{(env.Best is null ? "" : $" and the best policy so far in {Path.Combine(outDirectory, PolicyFile)}")}; continue with the same command plus --resume.");
        }
        outcome.Best.Policy.Write(Path.Combine(outDirectory, PolicyFile));
        var summary = Summarize(outcome, env, request, log.Path);
        AtomicFile.WriteAllText(Path.Combine(outDirectory, SummaryFile), JsonSerializer.Serialize(summary, Json));
        return summary;
    }

    private static SearchSummary Summarize(SearchOutcome outcome, SearchEnvironment env, SearchRequest request, string logPath)
    {
        var best = outcome.Best;
        var cost = env.Price(best.Policy);
        var b = request.Budget;
        var r = best.Record;
        double evaluationSeconds = SearchLog.ReadAll(logPath).Sum(x => x.EvaluationSeconds);
        return new SearchSummary(outcome.Strategy, request.Seed, env.Plan.Graph.Name, b.Device, b.FlashBytes, b.RamBytes,
            b.FlashReserveBytes, b.RamReserveBytes, b.UsableFlashBytes, b.UsableRamBytes, request.Reward.ToString().ToLowerInvariant(),
            env.FloatAccuracy, r.Accuracy, r.Agreement, r.MeanKl, r.Reward, cost.FlashBytes, cost.PeakRamBytes,
            (double)cost.FlashBytes / b.UsableFlashBytes, (double)cost.PeakRamBytes / b.UsableRamBytes, outcome.Evaluations,
            outcome.Queries, outcome.Elapsed.TotalSeconds, evaluationSeconds, r.Index, MemoryAnalyzer.Layers(best.Policy));
    }

    private static void Validate(SearchRequest r)
    {
        if (r.Episodes < 1) throw new MixBitException($"--episodes must be at least 1, got {r.Episodes}.");
        if (r.EvaluationImages < 1) throw new MixBitException($"--eval-images must be at least 1, got {r.EvaluationImages}.");
        if (r.FinetuneImages < 0) throw new MixBitException($"--finetune-images must be 0 (off) or positive, got {r.FinetuneImages}.");
        r.Ddpg.Validate();
        r.Options.Validate();
    }

    /// <summary>Creates the run folder and its search.json; a resumed run must have been started with the same settings.</summary>
    private static void PrepareFolder(string outDirectory, SearchRequest request, bool resume)
    {
        if (File.Exists(outDirectory)) throw new MixBitException($"--out '{outDirectory}' is a file; give a folder for the search's outputs.");
        var configPath = Path.Combine(outDirectory, ConfigFile);
        var config = JsonSerializer.Serialize(request with { ModelPath = Path.GetFullPath(request.ModelPath) }, Json);
        bool started = File.Exists(configPath) || File.Exists(Path.Combine(outDirectory, LogFile));
        if (started && !resume)
            throw new MixBitException($"'{outDirectory}' already holds a search; pass --resume to continue it, or choose another --out folder.");
        if (started && File.Exists(configPath) && File.ReadAllText(configPath) != config)
            throw new MixBitException($"The search in '{outDirectory}' was started with other settings (see its {ConfigFile}); resume it with the same options, or choose another --out folder.");
        Directory.CreateDirectory(outDirectory);
        if (!File.Exists(configPath)) AtomicFile.WriteAllText(configPath, config);
    }
}
