namespace MixBit.Search.Strategies;

/// <summary>
/// Random search: each candidate draws every step's bits uniformly from {2, 4, 8}, then the constraint step makes it fit.
/// Candidates are independent, so they go to the scorer in batches (evaluable in parallel).
/// </summary>
public sealed class RandomStrategy(int candidates, int seed, int batchSize = 8) : ISearchStrategy
{
    public string Name => "random";

    public int PlannedQueries(SearchEnvironment env) => candidates;

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var rng = new Random(seed);
        var bits = Quantization.BitPolicy.AllowedBits;
        for (int done = 0; done < candidates;)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, candidates - done);
            var batch = new Quantization.BitPolicy[n];
            for (int i = 0; i < n; i++)
                batch[i] = env.Repair(env.Space.ToPolicy(env.Space.Steps.Select(_ => bits[rng.Next(bits.Count)]).ToArray()));
            env.Evaluate(batch, "candidate", null, cancel);
            done += n;
        }
        return SearchOutcome.From(this, env);
    }
}
