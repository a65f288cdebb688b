using MixBit.Data;
using MixBit.Quantization;
using MixBit.Search;
using MixBit.Tensors;

namespace MixBit.Workflows;

/// <summary>
/// A scorer that fine-tunes every policy briefly before it is evaluated (HAQ measures its reward after a one-epoch
/// fine-tune): calibrate, train the fake-quantized network with QAT on a fixed subset of the training split, evaluate
/// on the validation images, then put the model's parameters back, so every policy starts from the same float model
/// and the result is still a function of the policy alone.
/// </summary>
public sealed class FinetuningScorer(PolicyEvaluator evaluator, ImageDataset train, Normalization normalization, QatOptions options) : IPolicyScorer
{
    public float FloatAccuracy => evaluator.FloatAccuracy;

    public IReadOnlyList<PolicyEvaluationResult> Evaluate(IReadOnlyList<BitPolicy> policies, CancellationToken cancel = default)
    {
        var model = evaluator.Network.Model;
        var saved = model.Parameters.ToDictionary(p => p.Key, p => p.Value.Span.ToArray());
        var results = new PolicyEvaluationResult[policies.Count];
        for (int i = 0; i < results.Length; i++)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                results[i] = evaluator.Evaluate(policies[i], network =>
                    new QatTrainer(network, options).Train(train, validation: null, normalization, cancel: cancel));
            }
            finally
            {
                foreach (var (name, values) in saved) values.CopyTo(model.Parameters[name].Span);
            }
        }
        return results;
    }
}
