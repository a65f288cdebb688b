using System.Diagnostics;
using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Search;

/// <summary>How the constraint step makes an agent's proposal fit (see <see cref="SearchEnvironment.Constrain"/>).</summary>
public enum ConstraintStep { Ranked, Rule }

/// <summary>A policy the environment evaluated, with its log record.</summary>
public sealed record Trial(BitPolicy Policy, SearchRecord Record)
{
    public double Reward => Record.Reward;
}

/// <summary>Where a search stands, for a progress display.</summary>
public sealed record SearchProgress(string Strategy, int Done, int Total, int Evaluations, SearchRecord Last, SearchRecord? Best, TimeSpan Elapsed);

/// <summary>
/// What every strategy searches in: the decision space of one model, the budget, the constraint step and the
/// scorer with its cache and log. Every query gets the next record index; a resumed run replays the records of its log
/// in order (the same seed asks for the same policies), so finished evaluations are never repeated and the log is
/// continued, not rewritten. A policy is never evaluated twice: repeats are served from the cache and logged as cached.
/// </summary>
public sealed class SearchEnvironment
{
    private readonly IPolicyScorer _scorer;
    private readonly SearchLog? _log;
    private readonly IReadOnlyList<SearchRecord> _restored;
    private readonly Dictionary<string, SearchRecord> _cache = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly double _restoredSeconds;
    private bool _diverged;

    public SearchEnvironment(SearchSpace space, MemoryBudget budget, IPolicyScorer scorer, RewardKind reward, SearchLog? log = null, Action<string>? warn = null)
    {
        (Space, Budget, _scorer, RewardKind, _log, Warn) = (space, budget, scorer, reward, log, warn);
        _restored = log?.Restored ?? [];
        _restoredSeconds = _restored.Count > 0 ? _restored[^1].ElapsedSeconds : 0;
        foreach (var r in _restored) _cache.TryAdd(r.Bits, r);
        var minimal = RuleBasedAllocator.MinimalPolicy(space.Plan, space.Pinned);
        if (!space.Plan.Price(minimal).Fits(budget))
            throw new InfeasibleBudgetException(space.Plan.Graph.Name, space.Plan.Price(minimal).Footprint, budget);
        Encoder = new StateEncoder(space, budget);
    }

    public SearchSpace Space { get; }
    public DeploymentPlan Plan => Space.Plan;
    public MemoryBudget Budget { get; }
    public RewardKind RewardKind { get; }
    public StateEncoder Encoder { get; }
    public float FloatAccuracy => _scorer.FloatAccuracy;
    public Action<string>? Warn { get; }

    /// <summary>Called after every record (for progress displays).</summary>
    public Action<SearchRecord>? RecordAdded { get; set; }

    /// <summary>Queries answered so far (records in the log).</summary>
    public int Queries { get; private set; }

    /// <summary>Policies actually evaluated by the scorer (this run and the run it resumes), probes included.</summary>
    public int Evaluations { get; private set; }

    /// <summary>The best policy that fits, among all but probes.</summary>
    public Trial? Best { get; private set; }

    public TimeSpan Elapsed => TimeSpan.FromSeconds(_restoredSeconds) + _clock.Elapsed;

    public PlanCost Price(BitPolicy policy) => Plan.Price(policy);

    public bool Fits(BitPolicy policy) => Plan.Price(policy).Fits(Budget);

    /// <summary>
    /// The rule-based repair: the rule-based allocator started from <paramref name="policy"/> (activations by RAM sweeps,
    /// then weights of the largest holders; bits only go down; pinned layers stay), returned in canonical form.
    /// </summary>
    public BitPolicy Repair(BitPolicy policy)
        => Space.Canonical(RuleBasedAllocator.Allocate(Plan, Budget, Space.Canonical(policy), Space.Pinned).Policy);

    /// <summary>How an agent's proposal is made to fit (see <see cref="Constrain"/>).</summary>
    public ConstraintStep ConstraintStep { get; init; } = ConstraintStep.Rule;

    /// <summary>
    /// The constraint step for actions in [0, 1] (one per step, mapped to bits by <see cref="ActionMapping"/>).
    /// <see cref="ConstraintStep.Rule"/> (default): the rule-based repair from the agent's bits: RAM first (the larger
    /// tensor of each op over budget), then FLASH (the largest weight holders), bits only going down; it targets exactly
    /// the tensors that break a constraint, which HAQ's last-to-first lowering does not. <see cref="ConstraintStep.Ranked"/>:
    /// lower, one width at a time, the step with the smallest action among those whose lowering relieves the overshoot
    /// (<see cref="ConstraintDescent"/>), so the continuous action ranks what the agent gives up first; on synthetic
    /// environments with known optima it found them less often than the rule-based repair (docs/SEARCH.md).
    /// </summary>
    public BitPolicy Constrain(IReadOnlyList<double> actions)
    {
        var bits = actions.Select(ActionMapping.ToBits).ToArray();
        if (ConstraintStep == ConstraintStep.Ranked)
            bits = ConstraintDescent.LowerUntilFits(this, bits, (s, _, relief) => -actions[s] + 1e-9 * relief);
        return Repair(Space.ToPolicy(bits)); // a no-op once the ranked descent made it fit
    }

    public Trial Evaluate(BitPolicy policy, string kind, string? note = null, CancellationToken cancel = default)
        => Evaluate([policy], kind, note is null ? null : [note], cancel)[0];

    /// <summary>Scores <paramref name="policies"/> (independent candidates, evaluated together), logging one record each.</summary>
    public IReadOnlyList<Trial> Evaluate(IReadOnlyList<BitPolicy> policies, string kind, IReadOnlyList<string?>? notes = null, CancellationToken cancel = default)
    {
        var canonical = policies.Select(Space.Canonical).ToArray();
        var keys = canonical.Select(Space.Key).ToArray();
        var replayed = new SearchRecord?[canonical.Length];
        var fresh = new List<int>();
        var pending = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < canonical.Length; i++)
        {
            int index = Queries + i;
            if (!_diverged && index < _restored.Count)
            {
                if (_restored[index].Bits == keys[i] && _restored[index].Kind == kind) { replayed[i] = _restored[index]; continue; }
                _diverged = true;
                Warn?.Invoke($"The resumed search asked for another policy than its log at record {index} (a different build or thread count?); the log's evaluations serve as a cache and new records follow the old ones.");
            }
            if (!_cache.ContainsKey(keys[i]) && pending.Add(keys[i])) fresh.Add(i);
        }
        var results = _scorer.Evaluate(fresh.Select(i => canonical[i]).ToArray(), cancel);
        var evaluated = new Dictionary<int, PolicyEvaluationResult>();
        for (int f = 0; f < fresh.Count; f++) evaluated[fresh[f]] = results[f];

        var trials = new Trial[canonical.Length];
        for (int i = 0; i < canonical.Length; i++)
        {
            SearchRecord record;
            if (replayed[i] is { } old)
            {
                record = old;
                Queries = old.Index + 1;
                if (!old.Cached) Evaluations++;
            }
            else
            {
                if (_diverged) Queries = Math.Max(Queries, _restored.Count);
                var cost = Plan.Price(canonical[i]);
                if (evaluated.TryGetValue(i, out var result)) Evaluations++;
                else
                {
                    var known = _cache[keys[i]];
                    result = new PolicyEvaluationResult(known.Accuracy, known.FloatAccuracy, known.Agreement, known.MeanKl, 0, 0);
                }
                record = NewRecord(kind, keys[i], canonical[i], cost, result, cached: !evaluated.ContainsKey(i), notes?[i]);
                _cache.TryAdd(keys[i], record);
                _log?.Append(record);
            }
            trials[i] = new Trial(canonical[i], record);
            Note(record);
            RecordAdded?.Invoke(record);
        }
        return trials;
    }

    /// <summary>Rebuilds a policy from a record of this model's log.</summary>
    public BitPolicy PolicyOf(SearchRecord record) => Space.ToPolicy(record.Bits.Select(c => c - '0').ToArray());

    private SearchRecord NewRecord(string kind, string key, BitPolicy policy, PlanCost cost, PolicyEvaluationResult result, bool cached, string? note)
    {
        var record = new SearchRecord
        {
            Index = Queries, Kind = kind, Bits = key,
            Policy = policy.Layers.ToDictionary(l => l, l => $"{policy[l].WeightBits}/{policy[l].ActivationBits}"),
            FlashBytes = cost.FlashBytes, PeakRamBytes = cost.PeakRamBytes, Fits = cost.Fits(Budget),
            Accuracy = result.Accuracy, FloatAccuracy = result.FloatAccuracy, Agreement = result.Agreement, MeanKl = result.MeanKl,
            Reward = Search.Reward.Of(RewardKind, result), Cached = cached, Note = note,
            EvaluationSeconds = result.Seconds, ElapsedSeconds = Elapsed.TotalSeconds, Time = DateTimeOffset.UtcNow,
        };
        Queries++;
        return record;
    }

    private void Note(SearchRecord r)
    {
        if (r.Kind == "probe" || !r.Fits) return;
        if (Best is null || r.Reward > Best.Reward) Best = new Trial(PolicyOf(r), r);
    }
}
