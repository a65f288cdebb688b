using MixBit.Memory;
using MixBit.Quantization;
using MixBit.Search;
using MixBit.Search.Strategies;
using MixBit.Tests.Memory;

namespace MixBit.Tests.Search;

public class SearchStrategyTests
{
    /// <summary>A budget between the all-2-bit and the all-8-bit footprints of <paramref name="plan"/> (fractions of the way up).</summary>
    internal static MemoryBudget Between(DeploymentPlan plan, double flashFraction, double ramFraction, SearchSpace? space = null)
    {
        var min = plan.Price(RuleBasedAllocator.MinimalPolicy(plan, space?.Pinned)).Footprint;
        var max = plan.Price(BitPolicy.Uniform(plan.Graph, 8, 8)).Footprint;
        long flash = min.FlashBytes + (long)((max.FlashBytes - min.FlashBytes) * flashFraction);
        long ram = min.PeakRamBytes + (long)((max.PeakRamBytes - min.PeakRamBytes) * ramFraction);
        return new MemoryBudget(Math.Max(flash, 1), Math.Max(ram, 1));
    }

    internal static IEnumerable<ISearchStrategy> AllStrategies(int seed, int episodes) =>
    [
        new UniformStrategy(), new RuleBasedStrategy(), new RandomStrategy(episodes, seed),
        new GreedyStrategy(), new ExactStrategy(seed), new DdpgStrategy(episodes, seed, new() { WarmupEpisodes = 5, BatchSize = 16, Hidden1 = 32, Hidden2 = 32 }),
    ];

    [Fact]
    public void Every_policy_any_strategy_returns_fits_both_budgets_on_random_models_and_budgets()
    {
        var rng = new Random(8);
        int checkedOutcomes = 0;
        for (int trial = 0; trial < 12; trial++)
        {
            var graph = MemoryTestModels.Random(rng, trial);
            var plan = DeploymentPlan.Build(graph);
            var space = new SearchSpace(plan, pinEnds: trial % 3 == 0);
            var budget = Between(plan, rng.NextDouble(), rng.NextDouble(), space);
            foreach (var strategy in AllStrategies(trial, 12))
            {
                var env = new SearchEnvironment(space, budget, new SyntheticScorer(space, trial), RewardKind.Accuracy);
                SearchOutcome outcome;
                try { outcome = strategy.Run(env); }
                catch (MixBitException e) when (strategy is UniformStrategy && e.Message.Contains("No uniform policy"))
                {
                    continue; // uniform precision need not fit; the message says so
                }
                Assert.True(plan.Price(outcome.Best.Policy).Fits(budget), $"trial {trial}, {strategy.Name}: {plan.Price(outcome.Best.Policy).Footprint} over {budget}");
                foreach (var layer in space.Pinned) Assert.Equal(new LayerBits(8, 8), outcome.Best.Policy[layer]);
                Assert.True(outcome.Evaluations <= outcome.Queries);
                checkedOutcomes++;
            }
        }
        Assert.True(checkedOutcomes > 50, $"only {checkedOutcomes} outcomes checked");
    }

    [Fact]
    public void A_policy_is_never_evaluated_twice()
    {
        var graph = MemoryTestModels.ThreeLayer();
        var plan = DeploymentPlan.Build(graph);
        var space = new SearchSpace(plan);
        var scorer = new SyntheticScorer(space, 1);
        var env = new SearchEnvironment(space, Between(plan, 0.3, 0.3), scorer, RewardKind.Accuracy);
        var outcome = new RandomStrategy(60, 3).Run(env);
        Assert.All(scorer.Calls.Values, c => Assert.Equal(1, c));
        Assert.Equal(scorer.Calls.Count, outcome.Evaluations);
        Assert.True(outcome.Queries == 60 && outcome.Evaluations < 60, $"{outcome.Evaluations} evaluations for 60 queries: the small space must repeat");
    }

    [Fact]
    public void Exact_solver_finds_the_brute_force_optimum_of_the_proxy_under_both_budgets()
    {
        var rng = new Random(5);
        int compared = 0;
        for (int trial = 0; trial < 25 && compared < 10; trial++)
        {
            var graph = MemoryTestModels.Random(rng, trial);
            var plan = DeploymentPlan.Build(graph);
            var space = new SearchSpace(plan);
            if (space.Steps.Count > 9) continue; // 3^9 = 19,683 policies to enumerate at most
            var budget = Between(plan, rng.NextDouble() * 0.8, rng.NextDouble() * 0.8);
            var scorer = new SyntheticScorer(space, trial);
            var env = new SearchEnvironment(space, budget, scorer, RewardKind.Accuracy);
            var table = SensitivityTable.Measure(env);
            var solution = new ExactStrategy(0).Solve(env, table);

            double best = double.PositiveInfinity;
            foreach (var bits in AllBitVectors(space.Steps.Count))
                if (plan.Price(space.ToPolicy(bits)).Fits(budget))
                    best = Math.Min(best, bits.Select((b, s) => table.At(s, b)).Sum());
            Assert.True(plan.Price(space.ToPolicy(solution)).Fits(budget));
            Assert.Equal(best, solution.Select((b, s) => table.At(s, b)).Sum(), 6);
            compared++;
        }
        Assert.True(compared >= 5, $"only {compared} models compared");
    }

    internal static IEnumerable<int[]> AllBitVectors(int steps)
    {
        int total = (int)Math.Pow(3, steps);
        for (int code = 0; code < total; code++)
        {
            var bits = new int[steps];
            for (int s = 0, c = code; s < steps; s++, c /= 3) bits[s] = BitPolicy.AllowedBits[c % 3];
            yield return bits;
        }
    }
}
