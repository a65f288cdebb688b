namespace MixBit.Search;

/// <summary>
/// Lowers a policy's step bits one width at a time (8 -> 4 -> 2) until it fits the budget: each time the step with the
/// highest score among those whose lowering relieves the overshoot. Overshoot = (FLASH - budget)+ / budget + sum over
/// ops of (RAM_op - budget)+ / budget, so lowering any tensor of an op that is over the RAM budget counts even when
/// another op ties for the peak; it is 0 exactly when the policy fits. The greedy strategy scores by relief per unit of
/// sensitivity; the agent's constraint step by the agent's own preference (its action values).
/// </summary>
public static class ConstraintDescent
{
    /// <param name="score">(step, current bits, relief) -> score; the highest-scoring step is lowered.</param>
    /// <returns>The lowered bits; they fit unless no single lowering relieves the overshoot (then the caller repairs).</returns>
    public static int[] LowerUntilFits(SearchEnvironment env, IReadOnlyList<int> start, Func<int, int, double, double> score)
    {
        var bits = start.ToArray();
        double over = Overshoot(env, bits);
        while (over > 0)
        {
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int s = 0; s < bits.Length; s++)
            {
                if (bits[s] <= 2) continue;
                int from = bits[s];
                bits[s] = from / 2;
                double relief = over - Overshoot(env, bits);
                bits[s] = from;
                if (relief <= 0) continue;
                double sc = score(s, from, relief);
                if (sc > bestScore) (bestScore, best) = (sc, s);
            }
            if (best < 0) break;
            bits[best] /= 2;
            over = Overshoot(env, bits);
        }
        return bits;
    }

    public static double Overshoot(SearchEnvironment env, IReadOnlyList<int> bits)
    {
        var cost = env.Price(env.Space.ToPolicy(bits));
        double flash = env.Budget.UsableFlashBytes, ram = env.Budget.UsableRamBytes;
        double over = Math.Max(0, cost.FlashBytes - flash) / flash;
        foreach (var op in cost.Ops) over += Math.Max(0, op.RamBytes - ram) / ram;
        return over;
    }
}
