using MixBit.Quantization;

namespace MixBit.Search;

/// <summary>What the search maximises.</summary>
public enum RewardKind
{
    /// <summary>0.1 x (accuracy - float accuracy), in percentage points, on the held-out validation split (HAQ's reward).</summary>
    Accuracy,
    /// <summary>0.1 x (top-1 agreement with the float model - 100 %), in percentage points: needs no labels.</summary>
    Fidelity,
}

public static class Reward
{
    public static double Of(RewardKind kind, PolicyEvaluationResult r) => kind switch
    {
        RewardKind.Accuracy => 0.1 * 100 * ((double)r.Accuracy - r.FloatAccuracy),
        RewardKind.Fidelity => 0.1 * 100 * ((double)r.Agreement - 1.0),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static RewardKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "accuracy" => RewardKind.Accuracy,
        "fidelity" => RewardKind.Fidelity,
        _ => throw new MixBitException($"Unknown reward '{name}': use accuracy (needs labels) or fidelity (label-free agreement with the float model)."),
    };
}
