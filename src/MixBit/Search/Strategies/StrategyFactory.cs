using MixBit.Search.Ddpg;

namespace MixBit.Search.Strategies;

/// <summary>Strategies by name, as <c>mixbit search --strategy</c> takes them.</summary>
public static class StrategyFactory
{
    public static IReadOnlyList<string> Names { get; } = ["ddpg", "random", "greedy", "exact", "rule", "uniform"];

    /// <param name="episodes">DDPG episodes, and random-search candidates (the same number of evaluations).</param>
    public static ISearchStrategy Create(string name, int episodes, int seed, DdpgOptions? ddpg = null) => name.ToLowerInvariant() switch
    {
        "ddpg" => new DdpgStrategy(episodes, seed, ddpg),
        "random" => new RandomStrategy(episodes, seed),
        "greedy" => new GreedyStrategy(),
        "exact" => new ExactStrategy(seed),
        "rule" => new RuleBasedStrategy(),
        "uniform" => new UniformStrategy(),
        _ => throw new MixBitException($"Unknown search strategy '{name}': use one of {string.Join(", ", Names)}."),
    };
}
