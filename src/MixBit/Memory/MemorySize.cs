using System.Globalization;
using System.Text.RegularExpressions;

namespace MixBit.Memory;

/// <summary>
/// Memory sizes as MCU datasheets write them: 1 kB = 1 KiB = 1024 B and 1 MB = 1 MiB = 1024 kB. Accepts a plain
/// byte count ("524288") or a number with a unit B, kB/KB/KiB/k, MB/MiB/M, GB/GiB/G ("512kB", "2MB", "1.5MB");
/// fractions of a byte are dropped.
/// </summary>
public static partial class MemorySize
{
    public const long KiB = 1024;
    public const long MiB = 1024 * KiB;
    public const long GiB = 1024 * MiB;

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")]
    private static partial Regex SizePattern();

    /// <summary>Parses a size; <paramref name="what"/> names the setting in the error (e.g. "--flash").</summary>
    public static long Parse(string text, string what = "memory size")
    {
        var m = SizePattern().Match(text ?? "");
        if (!m.Success)
            throw new MixBitException($"{what} '{text}' is not a memory size; write e.g. 2MB, 512kB, 512KiB or 524288 (bytes; 1 kB = 1024 B).");
        string unitText = m.Groups[2].Value;
        long unit = unitText.ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => KiB,
            "m" or "mb" or "mib" => MiB,
            "g" or "gb" or "gib" => GiB,
            _ => throw new MixBitException($"{what} '{text}' has an unknown unit '{unitText}'; use B, kB, KiB, MB, MiB or GB."),
        };
        decimal value = decimal.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * unit;
        if (value > long.MaxValue) throw new MixBitException($"{what} '{text}' is too large.");
        return (long)decimal.Floor(value);
    }

    /// <summary>Short human form: "512 kB", "2 MB", "1.53 MB", "300 B" (1 kB = 1024 B).</summary>
    public static string Format(long bytes)
    {
        static string Num(double v) => v.ToString(v >= 100 ? "0" : v >= 10 ? "0.#" : "0.##", CultureInfo.InvariantCulture);
        long abs = Math.Abs(bytes);
        return abs >= MiB ? $"{Num(bytes / (double)MiB)} MB" : abs >= KiB ? $"{Num(bytes / (double)KiB)} kB" : $"{bytes} B";
    }
}
