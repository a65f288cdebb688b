using System.Text.Json;
using MixBit.Memory;
using MixBit.Search;
using MixBit.Search.Strategies;
using MixBit.Tests.Memory;
using MixBit.Workflows;

namespace MixBit.Tests.Search;

public class SearchResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mixbit-search-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (SearchSpace Space, SearchRequest Request) Setup()
    {
        var graph = MemoryTestModels.Residual();
        var plan = DeploymentPlan.Build(graph);
        var space = new SearchSpace(plan);
        return (space, new SearchRequest { ModelPath = "synthetic.onnx", Budget = SearchStrategyTests.Between(plan, 0.4, 0.4) });
    }

    private static ISearchStrategy Ddpg() => new DdpgStrategy(40, 3, new() { WarmupEpisodes = 8, BatchSize = 16, Hidden1 = 24, Hidden2 = 24 });

    /// <summary>The log without its time fields, one string per record.</summary>
    private static string[] Timeless(string dir) => SearchLog.ReadAll(Path.Combine(dir, SearchWorkflow.LogFile))
        .Select(r => JsonSerializer.Serialize(r with { EvaluationSeconds = 0, ElapsedSeconds = 0, Time = default })).ToArray();

    [Fact]
    public void A_killed_and_resumed_search_writes_the_same_log_and_best_policy_as_an_uninterrupted_one()
    {
        var (space, request) = Setup();
        string whole = Path.Combine(_dir, "whole"), killed = Path.Combine(_dir, "killed");
        var wholeScorer = new SyntheticScorer(space, 9);
        SearchWorkflow.Run(Ddpg(), space, request, wholeScorer, whole);
        int evaluations = wholeScorer.Calls.Count;
        Assert.True(evaluations >= 8, $"only {evaluations} distinct policies: the test space is too small");

        var dying = new SyntheticScorer(space, 9) { FailAfter = evaluations / 2 };
        Assert.Throws<OperationCanceledException>(() => SearchWorkflow.Run(Ddpg(), space, request, dying, killed));
        int before = SearchLog.ReadAll(Path.Combine(killed, SearchWorkflow.LogFile)).Count;
        Assert.InRange(before, evaluations / 2, 39);
        // The process died while writing a line: the torn tail is dropped and re-evaluated.
        File.AppendAllText(Path.Combine(killed, SearchWorkflow.LogFile), "{\"index\":");
        var warnings = new List<string>();
        var resumedScorer = new SyntheticScorer(space, 9);
        SearchWorkflow.Run(Ddpg(), space, request, resumedScorer, killed, warn: warnings.Add);

        Assert.Contains(warnings, w => w.Contains("cut off"));
        Assert.Equal(Timeless(whole), Timeless(killed));
        Assert.Equal(File.ReadAllText(Path.Combine(whole, SearchWorkflow.PolicyFile)), File.ReadAllText(Path.Combine(killed, SearchWorkflow.PolicyFile)));
        // Nothing the first run finished was evaluated again.
        var first = SearchLog.ReadAll(Path.Combine(killed, SearchWorkflow.LogFile)).Take(before).Where(r => !r.Cached).Select(r => r.Bits);
        Assert.All(first, bits => Assert.False(resumedScorer.Calls.ContainsKey(bits)));
    }

    [Fact]
    public void A_log_with_a_damaged_line_in_the_middle_is_refused_with_a_clear_message()
    {
        var (space, request) = Setup();
        SearchWorkflow.Run(new RandomStrategy(6, 1), space, request, new SyntheticScorer(space, 2), _dir);
        var log = Path.Combine(_dir, SearchWorkflow.LogFile);
        var lines = File.ReadAllLines(log);
        lines[2] = "not json";
        File.WriteAllLines(log, lines);
        var e = Assert.Throws<MixBitException>(() => SearchLog.Open(log, resume: true));
        Assert.Contains("Line 3", e.Message);
    }

    [Fact]
    public void An_existing_log_is_not_overwritten_without_resume()
    {
        var (space, request) = Setup();
        SearchWorkflow.Run(new RandomStrategy(3, 1), space, request, new SyntheticScorer(space, 2), _dir);
        var log = Path.Combine(_dir, SearchWorkflow.LogFile);
        var before = File.ReadAllText(log);
        Assert.Throws<MixBitException>(() => SearchLog.Open(log, resume: false));
        Assert.Equal(before, File.ReadAllText(log));
    }
}
