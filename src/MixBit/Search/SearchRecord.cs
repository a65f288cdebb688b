namespace MixBit.Search;

/// <summary>
/// One line of the search log (JSON lines): one evaluated (or cache-served) policy. <see cref="Kind"/> says what it was
/// for: "episode" (DDPG), "candidate" (random search, final policies of greedy/exact/rule/uniform), "probe" (a
/// sensitivity measurement, which need not fit). <see cref="Bits"/> is the policy's step bits (<see cref="SearchSpace.Key"/>);
/// <see cref="Policy"/> its per-layer "w/a" bits. Time fields are <see cref="EvaluationSeconds"/>,
/// <see cref="ElapsedSeconds"/> and <see cref="Time"/>; everything else is a function of the run's options and seed.
/// </summary>
public sealed record SearchRecord
{
    public required int Index { get; init; }
    public required string Kind { get; init; }
    public required string Bits { get; init; }
    public required Dictionary<string, string> Policy { get; init; }
    public required long FlashBytes { get; init; }
    public required long PeakRamBytes { get; init; }
    public required bool Fits { get; init; }
    public required float Accuracy { get; init; }
    public required float FloatAccuracy { get; init; }
    public required float Agreement { get; init; }
    public required double MeanKl { get; init; }
    public required double Reward { get; init; }

    /// <summary>True when the policy had been evaluated before in this run and its result was reused.</summary>
    public required bool Cached { get; init; }

    /// <summary>Strategy-specific detail (e.g. DDPG's exploration sigma), informative only.</summary>
    public string? Note { get; init; }

    public double EvaluationSeconds { get; init; }
    public double ElapsedSeconds { get; init; }
    public DateTimeOffset Time { get; init; }
}
