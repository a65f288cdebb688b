using MixBit.Reporting;

namespace MixBit.Tests.Reporting;

/// <summary>
/// The synthetic report in a real browser: scripts/report-screenshot.sh (headless Chromium, installed from Debian when
/// missing) renders the whole page. Set MIXBIT_REPORT_SAMPLE=DIR to keep the report, its plots and the screenshot
/// (docs/ has the screenshot).
/// </summary>
public class ReportScreenshotTests
{
    [Fact, Trait("Category", "Slow")]
    public void Synthetic_report_renders_whole_in_headless_chromium()
    {
        using var run = new TestFolders.Scratch();
        SyntheticRun.Write(run.Path);
        var report = RunReport.Write(run.Path);
        string shot = run.File("screenshot.png");

        ProcessRun.Checked("bash", 300_000, TestFolders.Repo("scripts/report-screenshot.sh"), report.HtmlPath, shot);

        using var image = SkiaSharp.SKBitmap.Decode(shot);
        Assert.Equal(1100, image.Width);
        // The whole page: at least the six plots one above the other (each shown at most 1000 px wide, 440 px high).
        Assert.True(image.Height > 6 * ReportPlots.HeightPixels, $"screenshot only {image.Height} px high");
        // Rendered, not blank: the plots' blue bars are on the page.
        int blue = 0;
        for (int y = 0; y < image.Height; y += 3)
            for (int x = 0; x < image.Width; x += 3)
                if (image.GetPixel(x, y) is { Red: < 60, Green: > 100 and < 140, Blue: > 160 }) blue++;
        Assert.True(blue > 1000, $"only {blue} sampled pixels of the plots' blue");
        if (Environment.GetEnvironmentVariable("MIXBIT_REPORT_SAMPLE") is { Length: > 0 } sample)
        {
            Directory.CreateDirectory(Path.Combine(sample, "plots"));
            foreach (var file in new[] { report.HtmlPath, report.MarkdownPath, shot }.Concat(report.PlotPaths))
                File.Copy(file, Path.Combine(sample, Path.GetRelativePath(run.Path, file)), overwrite: true);
        }
    }
}
