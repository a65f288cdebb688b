using MixBit.Memory;
using MixBit.Models.Architectures;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Search;
using MixBit.Search.Strategies;
using Xunit.Abstractions;

namespace MixBit.Tests.Search;

public class DdpgProbe(ITestOutputHelper output)
{
    [Fact]
    public void Probe()
    {
        var b = new GraphBuilder(new ActivationShape(3, 16, 16));
        b.ConvBnAct(8, 3, 2); b.ConvBnAct(8, 3, 1, groups: 8); b.ConvBnAct(16, 1); b.ConvBnAct(16, 3, 2, groups: 16); b.ConvBnAct(32, 1);
        b.ConvBnAct(32, 3, 1, groups: 32); b.ConvBnAct(32, 1);
        b.GlobalAvgPool(); b.Flatten(); b.Linear(10);
        var graph = b.Build("synthetic");
        var plan = DeploymentPlan.Build(graph);
        foreach (int seed in new[] { 1, 2 })
        {
            var space = new SearchSpace(plan, false);
            var budget = SearchStrategyTests.Between(plan, 0.4, 0.4, space);
            var exact = new ExactStrategy(0).Run(new SearchEnvironment(space, budget, new SyntheticScorer(space, seed), RewardKind.Accuracy));
            var rule = new RuleBasedStrategy().Run(new SearchEnvironment(space, budget, new SyntheticScorer(space, seed), RewardKind.Accuracy));
            output.WriteLine($"seed {seed}: exact {exact.Best.Record.Accuracy:F4} rule {rule.Best.Record.Accuracy:F4}");
            foreach (var step in new[] { ConstraintStep.Ranked, ConstraintStep.Rule })
            {
                var renv = new SearchEnvironment(space, budget, new SyntheticScorer(space, seed), RewardKind.Accuracy) { ConstraintStep = step };
                var rnd = new RandomStrategy(300, seed).Run(renv);
                foreach (float discount in new[] { 1f, 0f })
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var env = new SearchEnvironment(space, budget, new SyntheticScorer(space, seed), RewardKind.Accuracy) { ConstraintStep = step };
                    int firstOpt = -1;
                    env.RecordAdded = r => { if (firstOpt < 0 && r.Accuracy >= exact.Best.Record.Accuracy - 1e-6) firstOpt = r.Index; };
                    var ddpg = new DdpgStrategy(300, seed, new() { Discount = discount }).Run(env);
                    output.WriteLine($"  {step} discount {discount}: random {rnd.Best.Record.Accuracy:F4} ddpg {ddpg.Best.Record.Accuracy:F4} (first optimum at {firstOpt}, evals {ddpg.Evaluations}) {clock.Elapsed.TotalSeconds:F1}s");
                }
            }
        }
    }
}
