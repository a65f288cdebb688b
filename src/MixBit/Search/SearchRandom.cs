using MixBit.Data;

namespace MixBit.Search;

/// <summary>
/// The random numbers of a search (actions, exploration noise, network initialisation, replay sampling): SplitMix64 via
/// <see cref="SeededRandom"/>, whose sequence depends only on the seed on every .NET version and machine, so a seed names
/// one search and a resumed run replays it exactly.
/// </summary>
public sealed class SearchRandom(long seed, long stream = 0)
{
    private SeededRandom _generator = new(SeededRandom.Mix(seed, 0x5EA2C4, stream));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (_generator.NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound) => _generator.Next(bound);
}
