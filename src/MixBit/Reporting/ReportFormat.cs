using System.Globalization;
using MixBit.Memory;

namespace MixBit.Reporting;

/// <summary>How the report writes its figures (invariant culture; sizes in kB of 1024 B as everywhere in MixBit).</summary>
public static class ReportFormat
{
    public const string NotRun = "not run";

    /// <summary>A fraction in [0, 1] as a percentage with two decimals: "91.11 %".</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    public static string Percent(double? fraction) => fraction is { } f ? Percent(f) : NotRun;

    /// <summary>"126 kB (129,024 B)".</summary>
    public static string Bytes(long bytes) => $"{MemorySize.Format(bytes)} ({Count(bytes)} B)";

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>"1 epoch", "3 epochs".</summary>
    public static string Count(long n, string noun) => $"{Count(n)} {noun}{(n == 1 ? "" : "s")}";

    public static string Seconds(double seconds) => seconds >= 120
        ? $"{(seconds / 60).ToString("0.#", CultureInfo.InvariantCulture)} min"
        : $"{seconds.ToString("0.#", CultureInfo.InvariantCulture)} s";

    public static string YesNo(bool value) => value ? "yes" : "no";

    /// <summary>"W4A8" for a uniform policy, else "mixed".</summary>
    public static string PolicyName(IReadOnlyList<PolicyLayer> layers)
        => layers.Count > 0 && layers.All(l => l.WeightBits == layers[0].WeightBits && l.ActivationBits == layers[0].ActivationBits)
            ? $"W{layers[0].WeightBits}A{layers[0].ActivationBits}"
            : "mixed";
}
