using MixBit.Memory;

namespace MixBit.Search.Strategies;

/// <summary>
/// Greedy descent on per-step sensitivity: from 8 bits everywhere, repeatedly lower the step (8 -> 4 -> 2) with the
/// largest memory relief per unit of added sensitivity, until the policy fits. Relief is the drop in overshoot:
/// (FLASH - budget)+ / budget + sum over ops of (RAM_op - budget)+ / budget, so lowering any tensor of an op that is over
/// the RAM budget counts even when another op ties for the peak. Evaluations: the sensitivity probes plus the final policy.
/// </summary>
public sealed class GreedyStrategy : ISearchStrategy
{
    public string Name => "greedy";

    public int PlannedQueries(SearchEnvironment env) => SensitivityTable.Probes(env) + 1;

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var table = SensitivityTable.Measure(env, cancel);
        var steps = env.Space.Steps;
        var bits = Enumerable.Repeat(8, steps.Count).ToArray();
        double over = Overshoot(env, bits);
        while (over > 0)
        {
            int bestStep = -1;
            double bestScore = double.NegativeInfinity;
            for (int s = 0; s < steps.Count; s++)
            {
                if (bits[s] == 2) continue;
                int lower = bits[s] / 2;
                var trial = (int[])bits.Clone();
                trial[s] = lower;
                double relief = over - Overshoot(env, trial);
                if (relief <= 0) continue;
                double score = relief / (table.At(s, lower) - table.At(s, bits[s]) + 1e-9);
                if (score > bestScore) (bestScore, bestStep) = (score, s);
            }
            if (bestStep < 0) break; // nothing relieves it; the constraint step below finishes the job
            bits[bestStep] /= 2;
            over = Overshoot(env, bits);
        }
        var policy = env.Repair(env.Space.ToPolicy(bits));
        return SearchOutcome.From(this, env, env.Evaluate(policy, "candidate", "greedy", cancel));
    }

    private static double Overshoot(SearchEnvironment env, int[] bits)
    {
        var cost = env.Price(env.Space.ToPolicy(bits));
        double flash = env.Budget.UsableFlashBytes, ram = env.Budget.UsableRamBytes;
        double over = Math.Max(0, cost.FlashBytes - flash) / flash;
        foreach (var op in cost.Ops) over += Math.Max(0, op.RamBytes - ram) / ram;
        return over;
    }
}
