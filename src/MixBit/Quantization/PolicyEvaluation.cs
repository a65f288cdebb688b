namespace MixBit.Quantization;

/// <summary>Which images a policy is evaluated on.</summary>
public enum EvaluationSplit { Validation, Test }

/// <summary>
/// A serialisable request to calibrate and evaluate one bit policy: (model file, policy, data, options, seed) determines
/// the result. The seed picks the calibration images from the validation split.
/// </summary>
public sealed record PolicyEvaluationRequest(
    string ModelPath, string PolicyJson, QuantizationOptions Options, EvaluationSplit Split = EvaluationSplit.Validation,
    int EvaluationCount = 2000, int Seed = 0, string? DataDirectory = null, int ValidationCount = 5000);

/// <summary>Accuracy of the fake-quantized model, of its float model on the same images, and their fidelity.</summary>
public sealed record PolicyEvaluationResult(
    float Accuracy, float FloatAccuracy, float Agreement, double MeanKl, int Samples, double Seconds)
{
    /// <summary>Accuracy drop in percentage points (float minus quantized).</summary>
    public float AccuracyDropPoints => (FloatAccuracy - Accuracy) * 100f;
}
