using MixBit.Memory;
using MixBit.Search;
using MixBit.Search.Strategies;
using MixBit.Tests.Memory;

namespace MixBit.Tests.Search;

/// <summary>The agent on synthetic environments whose per-step costs, and so whose optimum, are known.</summary>
public class DdpgAgentTests
{
    [Fact]
    public void Ddpg_finds_the_optimum_of_a_synthetic_environment_and_its_episodes_improve() => FindsOptimum(seed: 1, episodes: 200);

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(2)]
    [InlineData(3)]
    // Seed 4 is a known miss: after 600 episodes its best is 0.8376 against the optimum's 0.8419 (docs/SEARCH.md).
    public void Ddpg_finds_the_optimum_of_synthetic_environments_within_600_episodes(int seed) => FindsOptimum(seed, episodes: 600);

    private static void FindsOptimum(int seed, int episodes)
    {
        // The residual test model: 7 decisions (3^7 = 2,187 policies), budgets 40 % of the way from all-2-bit to all-8-bit.
        var plan = DeploymentPlan.Build(MemoryTestModels.Residual());
        var space = new SearchSpace(plan);
        var budget = SearchStrategyTests.Between(plan, 0.4, 0.4, space);
        var optimum = new ExactStrategy(0).Run(new SearchEnvironment(space, budget, new SyntheticScorer(space, seed, separated: true), RewardKind.Accuracy));

        var env = new SearchEnvironment(space, budget, new SyntheticScorer(space, seed, separated: true), RewardKind.Accuracy);
        var accuracies = new List<float>();
        env.RecordAdded = r => accuracies.Add(r.Accuracy);
        var ddpg = new DdpgStrategy(episodes, seed).Run(env);

        // The synthetic accuracy is exactly additive, so the exact optimiser's answer is the true optimum; the penalties are
        // separated, so a near-tie does not count as finding it.
        Assert.Equal(optimum.Best.Record.Accuracy, ddpg.Best.Record.Accuracy, 5);
        // Learning, not luck: the last 20 episodes (little exploration left) beat the 20 random warm-up episodes.
        Assert.True(accuracies.TakeLast(20).Average() > accuracies.Take(20).Average(),
            $"warm-up mean {accuracies.Take(20).Average():F4}, last 20 mean {accuracies.TakeLast(20).Average():F4}");
    }
}
