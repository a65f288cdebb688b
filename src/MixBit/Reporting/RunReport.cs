namespace MixBit.Reporting;

/// <summary>What `mixbit report` wrote.</summary>
public sealed record ReportOutcome(string HtmlPath, string MarkdownPath, IReadOnlyList<string> PlotPaths, IReadOnlyList<string> StagesNotRun);

/// <summary>
/// `mixbit report RUN_DIR`: reads the run folder and writes report.html (self-contained), report.md and plots/*.png
/// into it. Every file is written atomically; the plots first, so a report never links a plot that is not there.
/// </summary>
public static class RunReport
{
    public static ReportOutcome Write(string runFolder)
    {
        var run = RunFolderReader.Read(runFolder);
        var document = ReportBuilder.Build(run);
        var plots = new List<string>();
        foreach (var figure in document.Figures)
        {
            string path = Path.Combine(runFolder, RunFolderLayout.PlotsFolder, figure.FileName);
            AtomicFile.Write(path, s => s.Write(figure.Png));
            plots.Add(path);
        }
        string markdown = Path.Combine(runFolder, RunFolderLayout.MarkdownReport), html = Path.Combine(runFolder, RunFolderLayout.HtmlReport);
        AtomicFile.WriteAllText(markdown, MarkdownReportRenderer.Render(document));
        AtomicFile.WriteAllText(html, HtmlReportRenderer.Render(document));
        var notRun = document.Sections.SelectMany(s => s.Blocks).OfType<ReportNotRun>().Select(n => n.What).Distinct().ToArray();
        return new ReportOutcome(html, markdown, plots, notRun);
    }
}
