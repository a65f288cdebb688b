using MixBit.Memory;

namespace MixBit.Search.Strategies;

/// <summary>The memory-driven rule-based allocation (Rusci et al. 2019): one policy, no search, one evaluation.</summary>
public sealed class RuleBasedStrategy : ISearchStrategy
{
    public string Name => "rule";

    public int PlannedQueries(SearchEnvironment env) => 1;

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var policy = RuleBasedAllocator.Allocate(env.Plan, env.Budget, frozen: env.Space.Pinned).Policy;
        return SearchOutcome.From(this, env, env.Evaluate(policy, "candidate", "rule-based", cancel));
    }
}
