using MixBit.Quantization;

namespace MixBit.Search.Strategies;

/// <summary>Uniform precision: every layer at b/b for b = 8, 4, 2; the best of those that fit (the logits stay int8).</summary>
public sealed class UniformStrategy : ISearchStrategy
{
    public string Name => "uniform";

    public int PlannedQueries(SearchEnvironment env) => Candidates(env).Count();

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var fitting = Candidates(env).ToArray();
        if (fitting.Length == 0)
            throw new MixBitException($"No uniform policy (8, 4 or 2 bits) fits {env.Budget}; use a mixed-precision strategy (ddpg, rule, greedy, exact).");
        env.Evaluate(fitting, "candidate", fitting.Select(p => (string?)$"uniform w{p[p.Layers[0]].WeightBits}a{p[p.Layers[0]].ActivationBits}").ToArray(), cancel);
        return SearchOutcome.From(this, env);
    }

    private static IEnumerable<BitPolicy> Candidates(SearchEnvironment env)
        => BitPolicy.AllowedBits.Select(b => env.Space.Canonical(BitPolicy.Uniform(env.Plan.Graph, b, b))).Where(env.Fits);
}
