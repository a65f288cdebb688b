namespace MixBit.Search.Strategies;

/// <summary>
/// Random search: each candidate draws every step's action uniformly from [0, 1] (so its bits uniformly from {2, 4, 8}),
/// then the same constraint step as the agent's makes it fit.
/// Candidates are independent, so they go to the scorer in batches (evaluable in parallel).
/// </summary>
public sealed class RandomStrategy(int candidates, int seed, int batchSize = 8) : ISearchStrategy
{
    public string Name => "random";

    public int PlannedQueries(SearchEnvironment env) => candidates;

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var rng = new SearchRandom(seed, stream: 3);
        for (int done = 0; done < candidates;)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, candidates - done);
            var batch = new Quantization.BitPolicy[n];
            for (int i = 0; i < n; i++)
                batch[i] = env.Constrain(env.Space.Steps.Select(_ => rng.NextDouble()).ToArray());
            env.Evaluate(batch, "candidate", null, cancel);
            done += n;
        }
        return SearchOutcome.From(this, env);
    }
}
