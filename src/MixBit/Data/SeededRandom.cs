namespace MixBit.Data;

/// <summary>
/// SplitMix64 (Steele et al. 2014): a tiny generator whose sequence depends only on the seed, on every .NET
/// version and machine (System.Random's seeded sequence is not guaranteed across versions).
/// </summary>
internal struct SeededRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A seed derived from several values (e.g. seed, epoch, sample index) by chained mixing.</summary>
    public static ulong Mix(long a, long b, long c = 0)
    {
        ulong h = Finalize((ulong)a + 0x9E3779B97F4A7C15UL);
        h = Finalize(h ^ ((ulong)b + 0xBF58476D1CE4E5B9UL));
        return Finalize(h ^ ((ulong)c + 0x94D049BB133111EBUL));
    }

    public ulong NextUInt64() => Finalize(_state += 0x9E3779B97F4A7C15UL);

    /// <summary>Uniform integer in [0, <paramref name="bound"/>) by the multiply-high method (bias below 2^-32 for our bounds).</summary>
    public int Next(int bound) => (int)(((NextUInt64() >> 32) * (ulong)bound) >> 32);

    /// <summary>Fisher-Yates shuffle.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
