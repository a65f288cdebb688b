using MixBit.Quantization;

namespace MixBit.Search;

/// <summary>
/// Measures the accuracy of bit policies of one model: the pure job (model, data split, policy, seed) -> metrics. A
/// search hands it every independent candidate at once, so an implementation may evaluate them in parallel or on other
/// machines (each policy travels as <see cref="BitPolicy.ToJson"/>, each result as <see cref="PolicyEvaluationResult"/>).
/// </summary>
public interface IPolicyScorer
{
    /// <summary>Accuracy of the float model on the same images (the reward's reference).</summary>
    float FloatAccuracy { get; }

    /// <summary>One result per policy, in order.</summary>
    IReadOnlyList<PolicyEvaluationResult> Evaluate(IReadOnlyList<BitPolicy> policies, CancellationToken cancel = default);
}

/// <summary>The local scorer: one calibrated <see cref="PolicyEvaluator"/>, each evaluation using every worker thread.</summary>
public sealed class EvaluatorScorer(PolicyEvaluator evaluator) : IPolicyScorer
{
    public float FloatAccuracy => evaluator.FloatAccuracy;

    public IReadOnlyList<PolicyEvaluationResult> Evaluate(IReadOnlyList<BitPolicy> policies, CancellationToken cancel = default)
    {
        var results = new PolicyEvaluationResult[policies.Count];
        for (int i = 0; i < results.Length; i++)
        {
            cancel.ThrowIfCancellationRequested();
            results[i] = evaluator.Evaluate(policies[i]);
        }
        return results;
    }
}
