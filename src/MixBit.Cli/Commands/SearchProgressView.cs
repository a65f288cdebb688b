using MixBit.Memory;
using MixBit.Search;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>
/// Console view of a search: on a terminal a live status line (query, accuracy, memory use, best so far, ETA); when
/// output is redirected, a plain line every 10 queries and whenever the best improves.
/// </summary>
public sealed class SearchProgressView
{
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private SearchRecord? _best;

    public void Report(SearchProgress p)
    {
        var r = p.Last;
        bool improved = p.Best is not null && !ReferenceEquals(p.Best, _best);
        _best = p.Best;
        string total = p.Total > 0 ? $"/{p.Total}" : "";
        var eta = p.Total > 0 && p.Done > 0 ? TimeSpan.FromSeconds(p.Elapsed.TotalSeconds / p.Done * Math.Max(0, p.Total - p.Done)) : TimeSpan.Zero;
        string line = $"{p.Strategy} {r.Kind} {p.Done}{total}  acc {r.Accuracy:P2}  reward {r.Reward:F3}  FLASH {MemorySize.Format(r.FlashBytes)}  RAM {MemorySize.Format(r.PeakRamBytes)}"
            + $"  best {(p.Best is { } b ? $"{b.Accuracy:P2}" : "-")}  evals {p.Evaluations}  elapsed {p.Elapsed:hh\\:mm\\:ss}  ETA {eta:hh\\:mm\\:ss}";
        if (_interactive) Console.Write("\r" + line.PadRight(Math.Max(0, SafeWidth() - 1))[..Math.Min(line.Length, SafeWidth() - 1)]);
        else if (improved || p.Done % 10 == 0 || p.Done == p.Total) Console.WriteLine(line);
    }

    /// <summary>Ends the live line so the summary starts on its own line.</summary>
    public void Finish()
    {
        if (_interactive) Console.WriteLine();
    }

    private static int SafeWidth()
    {
        try { return Math.Max(40, Console.WindowWidth); } catch (IOException) { return 160; }
    }
}
