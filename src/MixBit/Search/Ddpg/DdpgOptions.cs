namespace MixBit.Search.Ddpg;

/// <summary>
/// DDPG hyper-parameters with the defaults of HAQ's released code (mit-han-lab/haq, rl_quantize.py and lib/rl/ddpg.py):
/// actor and critic MLPs of 300-300 hidden units, Adam (actor 1e-4, critic 1e-3), soft target updates tau = 0.01,
/// discount 1, batch 64, a replay buffer of 128 x steps-per-episode transitions, 20 warm-up episodes of uniform random
/// actions, truncated-normal exploration sigma 0.5 decayed by 0.99 per episode after warm-up (MixBit by default scales the
/// decay to the episode budget, <see cref="SigmaDecay"/>), a moving-average reward
/// baseline with alpha 0.5, and one update per stored transition after warm-up.
/// </summary>
public sealed record DdpgOptions
{
    public int Hidden1 { get; init; } = 300;
    public int Hidden2 { get; init; } = 300;
    public float ActorLearningRate { get; init; } = 1e-4f;
    public float CriticLearningRate { get; init; } = 1e-3f;
    public float Tau { get; init; } = 0.01f;
    public float Discount { get; init; } = 1f;
    public int BatchSize { get; init; } = 64;
    public int ReplayEpisodes { get; init; } = 128;
    public int WarmupEpisodes { get; init; } = 20;
    public double InitialSigma { get; init; } = 0.5;
    /// <summary>
    /// Exploration decay per episode after warm-up; null (default): the decay that brings sigma down to
    /// <see cref="FinalSigma"/> at the last episode, which is HAQ's 0.99 for a 300-episode search and faster for shorter
    /// ones (with 0.99, a 100-episode search still explores with sigma 0.22 at its end, close to random actions).
    /// </summary>
    public double? SigmaDecay { get; init; }
    public double FinalSigma { get; init; } = 0.03;
    public float BaselineAlpha { get; init; } = 0.5f;

    /// <summary>
    /// Where the untrained actor points: its last layer's bias is set so that mu(s) starts at the centre of this
    /// bit-width's interval (HAQ initialises it near 0, the middle of its 2-8 range). MixBit starts at 8 bits, the
    /// policy the constraint step turns into the rule-based one, so exploration starts from the baseline and the agent
    /// learns what to give up; calibrated rewards punish low widths too hard for a start in the middle to pay.
    /// </summary>
    public int InitialBits { get; init; } = 8;

    public void Validate()
    {
        if (Hidden1 < 1 || Hidden2 < 1) throw new MixBitException("DDPG hidden layers need at least one unit.");
        if (!(ActorLearningRate > 0) || !(CriticLearningRate > 0)) throw new MixBitException("DDPG learning rates must be positive.");
        if (!(Tau > 0 && Tau <= 1)) throw new MixBitException($"DDPG tau must be in (0, 1], got {Tau}.");
        if (!(Discount >= 0 && Discount <= 1)) throw new MixBitException($"DDPG discount must be in [0, 1], got {Discount}.");
        if (BatchSize < 1 || ReplayEpisodes < 1) throw new MixBitException("DDPG batch size and replay size must be positive.");
        if (WarmupEpisodes < 0) throw new MixBitException("DDPG warm-up episodes cannot be negative.");
        if (!(InitialSigma >= 0) || SigmaDecay is { } d && !(d > 0 && d <= 1) || !(FinalSigma > 0))
            throw new MixBitException("DDPG exploration needs sigma >= 0, a final sigma > 0 and a decay in (0, 1].");
        if (!(BaselineAlpha > 0 && BaselineAlpha <= 1)) throw new MixBitException($"The reward baseline's alpha must be in (0, 1], got {BaselineAlpha}.");
        if (!Quantization.BitPolicy.IsAllowed(InitialBits)) throw new MixBitException($"The agent's initial bits must be 2, 4 or 8, got {InitialBits}.");
    }

    /// <summary>The decay per episode for a search of <paramref name="episodes"/> episodes.</summary>
    public double DecayFor(int episodes) => SigmaDecay ?? (InitialSigma <= FinalSigma || episodes - 1 <= WarmupEpisodes ? 1.0
        : Math.Pow(FinalSigma / InitialSigma, 1.0 / (episodes - 1 - WarmupEpisodes)));

    /// <summary>Exploration sigma at episode <paramref name="episode"/> (0-based) of <paramref name="episodes"/>: sigma0 * decay^(episode - warm-up) after warm-up.</summary>
    public double SigmaAt(int episode, int episodes) => InitialSigma * Math.Pow(DecayFor(episodes), Math.Max(0, episode - WarmupEpisodes));
}
