using System.Globalization;
using System.Security.Cryptography;

namespace MixBit.Workflows;

/// <summary>
/// Checks of a long run's outputs made before any work starts: every output can be written, and none of them is one
/// of the run's inputs (which the run would silently replace) unless --force says so. Also the helpers that describe
/// a run's options for its checkpoint.
/// </summary>
public static class RunOutputs
{
    /// <param name="outputs">The files the run writes; the first ones named by the user, all checked against the inputs.</param>
    /// <param name="inputs">The files the run reads, with the option that named them.</param>
    public static void Check(IReadOnlyList<string> outputs, IEnumerable<(string? Path, string Option)> inputs, bool force)
    {
        foreach (var (input, option) in inputs)
        {
            if (input is null || force) continue;
            if (outputs.FirstOrDefault(o => SameFile(o, input)) is { } clash)
                throw new MixBitException($"The output '{clash}' is the {option} input '{input}': the run would replace it. Choose another output path, or pass --force to replace it.");
        }
        AtomicFile.EnsureWritable(outputs[0]);
    }

    /// <summary>A file's content identity for a checkpoint's options ("sha256:" and 16 hex digits).</summary>
    public static string ContentId(string path)
    {
        try { return Id(File.ReadAllBytes(path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "unreadable"; }
    }

    /// <summary>"sha256:" and the first 16 hex digits of the content's hash.</summary>
    public static string Id(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexString(SHA256.HashData(content))[..16].ToLowerInvariant();

    /// <summary>A number as the options record it (round-trip, culture-invariant).</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A float as it was given (5E-05, not the 4.99999987E-05 of its widening to double).</summary>
    public static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Describe(Data.Augmentation a)
        => a.IsIdentity ? "none" : $"crop (pad {a.PadPixels}){(a.HorizontalFlip ? " + flip" : "")}";

    private static bool SameFile(string a, string b)
    {
        static string Resolve(string p)
        {
            string full = Path.GetFullPath(p);
            try { return File.Exists(full) ? File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full : full; }
            catch (IOException) { return full; }
        }
        return Resolve(a) == Resolve(b);
    }
}
