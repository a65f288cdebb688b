namespace MixBit.Search;

/// <summary>A way to choose a policy in a <see cref="SearchEnvironment"/>: DDPG, random, greedy, exact, rule-based or uniform.</summary>
public interface ISearchStrategy
{
    /// <summary>"ddpg", "random", "greedy", "exact", "rule" or "uniform".</summary>
    string Name { get; }

    /// <summary>How many queries the strategy will make (for progress); 0 when not known in advance.</summary>
    int PlannedQueries(SearchEnvironment env);

    /// <summary>Runs the search; every policy it returns fits the environment's budget.</summary>
    SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default);
}

/// <summary>The result of a strategy: its chosen policy (fits the budget) and what it cost to find it.</summary>
public sealed record SearchOutcome(string Strategy, Trial Best, int Evaluations, int Queries, TimeSpan Elapsed)
{
    public static SearchOutcome From(ISearchStrategy strategy, SearchEnvironment env, Trial? chosen = null)
    {
        var best = chosen ?? env.Best ?? throw new MixBitException($"The {strategy.Name} search found no policy that fits {env.Budget}.");
        return new SearchOutcome(strategy.Name, best, env.Evaluations, env.Queries, env.Elapsed);
    }
}
