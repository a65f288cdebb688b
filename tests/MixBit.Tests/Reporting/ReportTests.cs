using System.Text.RegularExpressions;
using MixBit.Reporting;
using MixBit.Tests.Cli;

namespace MixBit.Tests.Reporting;

/// <summary>`mixbit report` on synthetic run folders: every file and plot is written, nothing reaches the network, missing stages say so.</summary>
public class ReportTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Full_run_gives_html_markdown_and_every_plot_as_png()
    {
        using var run = new TestFolders.Scratch();
        SyntheticRun.Write(run.Path);

        var r = RunReport.Write(run.Path);

        Assert.Empty(r.StagesNotRun);
        string[] expected = ["policy-bits.png", "flash-per-layer.png", "ram-per-op.png", "search-curve.png", "pareto.png", "instructions-per-layer.png"];
        Assert.Equal(expected.Order(), r.PlotPaths.Select(Path.GetFileName).Order());
        string html = File.ReadAllText(r.HtmlPath), markdown = File.ReadAllText(r.MarkdownPath);
        foreach (var name in expected)
        {
            var png = File.ReadAllBytes(Path.Combine(run.Path, "plots", name));
            Assert.True(png.AsSpan().StartsWith(PngSignature), $"{name} is not a PNG");
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.Equal((ReportPlots.WidthPixels, ReportPlots.HeightPixels), (bitmap.Width, bitmap.Height));
            Assert.Contains("data:image/png;base64," + Convert.ToBase64String(png), html);
            Assert.Contains($"](plots/{name})", markdown);
        }
        Assert.DoesNotContain(ReportFormat.NotRun, html);
        Assert.Contains("mobilenet_v1", html);
        Assert.Contains("stm32g071", html);
    }

    [Fact]
    public void Html_references_nothing_outside_the_file()
    {
        using var run = new TestFolders.Scratch();
        SyntheticRun.Write(run.Path);
        string html = File.ReadAllText(RunReport.Write(run.Path).HtmlPath);

        // Every src/href must be a data URI or an in-page anchor; no url(...) in CSS, no protocol-relative or absolute URL anywhere.
        foreach (Match m in Regex.Matches(html, @"(?:src|href)\s*=\s*""([^""]*)""", RegexOptions.IgnoreCase))
            Assert.True(m.Groups[1].Value.StartsWith("data:", StringComparison.Ordinal) || m.Groups[1].Value.StartsWith('#'), $"external reference {m.Value[..Math.Min(80, m.Value.Length)]}");
        Assert.DoesNotMatch(@"(?i)\b(?:https?|ftp|file):|url\s*\(|@import|//[a-z0-9.-]+\.[a-z]{2,}", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Stages_not_run_are_said_as_such_not_as_zeros()
    {
        using var run = new TestFolders.Scratch();
        SyntheticRun.Write(run.Path, SyntheticRun.Stages.UpToAnalysis);

        var r = RunReport.Write(run.Path);

        Assert.Contains("Search", r.StagesNotRun);
        Assert.Contains("C code check", r.StagesNotRun);
        string html = File.ReadAllText(r.HtmlPath);
        Assert.Contains("C code check: not run (c/check.json is missing).", html);
        Assert.DoesNotContain(">0.00 %<", html);
        // The memory plots need only the analysis; the search, policy and C plots are absent, not empty.
        Assert.Equal(["flash-per-layer.png", "ram-per-op.png"], r.PlotPaths.Select(Path.GetFileName).Order());
        Assert.False(File.Exists(Path.Combine(run.Path, "plots", "pareto.png")));
    }

    [Fact]
    public void Corrupt_json_is_one_error_naming_the_file()
    {
        using var run = new TestFolders.Scratch();
        SyntheticRun.Write(run.Path, SyntheticRun.Stages.UpToSearch, episodes: 12);
        string summary = Path.Combine(run.Path, "search", "summary.json");
        File.WriteAllText(summary, File.ReadAllText(summary)[..40]);

        CliAssert.CleanError(CliRunner.Run("report", run.Path), summary);
        Assert.False(File.Exists(Path.Combine(run.Path, "report.html")));
    }

    [Fact]
    public void A_stage_file_without_a_required_field_is_an_error_not_a_zero()
    {
        using var run = new TestFolders.Scratch();
        SyntheticRun.Write(run.Path, SyntheticRun.Stages.UpToAnalysis);
        File.WriteAllText(Path.Combine(run.Path, "float.json"), """{ "model": "m", "parameters": 10, "macs": 20, "testImages": 100 }""");

        var e = Assert.Throws<MixBitException>(() => RunReport.Write(run.Path));
        Assert.Contains("float.json", e.Message);
        Assert.Contains("testAccuracy", e.Message);
    }

    [Fact]
    public void Folder_without_any_stage_is_refused()
    {
        using var run = new TestFolders.Scratch();
        CliAssert.CleanError(CliRunner.Run("report", run.Path), "holds no stage of a MixBit run");
        CliAssert.CleanError(CliRunner.Run("report", Path.Combine(run.Path, "missing")), "does not exist");
    }

    [Fact]
    public void Torn_last_line_of_the_search_log_is_left_out_and_a_damaged_middle_line_is_an_error()
    {
        using var run = new TestFolders.Scratch();
        string log = Path.Combine(run.Path, "search.jsonl");
        SyntheticRun.Write(run.Path, SyntheticRun.Stages.UpToSearch, episodes: 5);
        var lines = File.ReadAllLines(Path.Combine(run.Path, "search", "search.jsonl"));

        File.WriteAllText(log, string.Join("\n", lines) + "\n" + lines[0][..30]);
        Assert.Equal(5, RunFolderReader.ReadSearchLog(log).Count);

        File.WriteAllText(log, string.Join("\n", lines.Take(2).Append("{oops").Concat(lines.Skip(2))) + "\n");
        var e = Assert.Throws<MixBitException>(() => RunFolderReader.ReadSearchLog(log));
        Assert.Contains("line 3", e.Message);
    }
}
