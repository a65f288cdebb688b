using MixBit.Quantization;
using MixBit.Search;

namespace MixBit.Tests.Search;

/// <summary>
/// A scorer with known per-step costs: accuracy = 0.9 - sum over steps of Penalty[step][bits], the "KL" is the same sum.
/// It counts evaluations per policy so tests can check the cache, and can fail after a number of evaluations to stand
/// for a killed process.
/// </summary>
internal sealed class SyntheticScorer : IPolicyScorer
{
    private readonly SearchSpace _space;
    private readonly double[][] _penalty; // [step][0: 8 bits, 1: 4 bits, 2: 2 bits]

    /// <param name="separated">Every 4-bit penalty at least a fifth of its scale, and the smallest scale 0.005 instead
    /// of 0.001, so no two policies tie to within noise and "the optimum" is one policy.</param>
    public SyntheticScorer(SearchSpace space, int seed, bool separated = false)
    {
        _space = space;
        var rng = new Random(seed);
        // Some steps barely care about their bits, some care a lot; 2 bits always costs more than 4.
        _penalty = space.Steps.Select(_ =>
        {
            double scale = rng.Next(3) switch { 0 => separated ? 0.005 : 0.001, 1 => 0.01, _ => 0.05 };
            double p4 = scale * (separated ? 0.2 + 0.8 * rng.NextDouble() : rng.NextDouble());
            return new[] { 0, p4, p4 + scale * (0.5 + rng.NextDouble()) };
        }).ToArray();
    }

    public float FloatAccuracy => 0.9f;
    public Dictionary<string, int> Calls { get; } = [];
    public int FailAfter { get; set; } = int.MaxValue;

    public double Penalty(int[] bits) => bits.Select((b, s) => _penalty[s][b == 8 ? 0 : b == 4 ? 1 : 2]).Sum();

    public double PenaltyAt(int step, int bits) => _penalty[step][bits == 8 ? 0 : bits == 4 ? 1 : 2];

    public IReadOnlyList<PolicyEvaluationResult> Evaluate(IReadOnlyList<BitPolicy> policies, CancellationToken cancel = default)
    {
        return policies.Select(p =>
        {
            if (Calls.Values.Sum() >= FailAfter) throw new OperationCanceledException("synthetic kill");
            var key = _space.Key(p);
            Calls[key] = Calls.GetValueOrDefault(key) + 1;
            double penalty = Penalty(_space.FromPolicy(p));
            float acc = (float)Math.Max(0, 0.9 - penalty);
            return new PolicyEvaluationResult(acc, FloatAccuracy, acc / FloatAccuracy, penalty, 1000, 0.001);
        }).ToArray();
    }
}
