namespace MixBit.Bench;

/// <summary>Replaces (or appends) one "## " section of docs/BENCHMARKS.md, leaving the others as they are.</summary>
public static class BenchmarksFile
{
    public static void WriteSection(string path, string section)
    {
        string heading = section.Split('\n')[0];
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : ["# Benchmarks", "", "Run on demand; each section says how, where and when it was measured.", ""];
        int start = lines.FindIndex(l => l == heading);
        if (start >= 0)
        {
            int end = lines.FindIndex(start + 1, l => l.StartsWith("## "));
            lines.RemoveRange(start, (end < 0 ? lines.Count : end) - start);
        }
        else
        {
            start = lines.Count;
            if (start > 0 && lines[^1].Length > 0) { lines.Add(""); start++; }
        }
        lines.InsertRange(start, section.TrimEnd('\n').Split('\n').Append(""));
        MixBit.AtomicFile.WriteAllText(path, string.Join('\n', lines).TrimEnd('\n') + "\n");
    }
}
