namespace MixBit.Search.Strategies;

/// <summary>
/// Greedy descent on per-step sensitivity: from 8 bits everywhere, repeatedly lower the step (8 -> 4 -> 2) with the
/// largest memory relief per unit of added sensitivity, until the policy fits (<see cref="ConstraintDescent"/>).
/// Evaluations: the sensitivity probes plus the final policy.
/// </summary>
public sealed class GreedyStrategy : ISearchStrategy
{
    public string Name => "greedy";

    public int PlannedQueries(SearchEnvironment env) => SensitivityTable.Probes(env) + 1;

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var table = SensitivityTable.Measure(env, cancel);
        var start = Enumerable.Repeat(8, env.Space.Steps.Count).ToArray();
        var bits = ConstraintDescent.LowerUntilFits(env, start,
            (step, from, relief) => relief / (table.At(step, from / 2) - table.At(step, from) + 1e-9));
        var policy = env.Repair(env.Space.ToPolicy(bits));
        return SearchOutcome.From(this, env, env.Evaluate(policy, "candidate", "greedy", cancel));
    }
}
