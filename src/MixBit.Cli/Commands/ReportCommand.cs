using System.CommandLine;
using MixBit.Reporting;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary><c>mixbit report RUN_DIR</c>: report.html, report.md and plots/ from the files of a `mixbit run` folder.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("run-dir") { Description = "Run folder written by `mixbit run --out` (layout: docs/RUN.md)" };
        var cmd = new Command("report", "Write report.html (self-contained), report.md and plots/*.png for a run folder; stages not run yet are shown as such.") { folder };
        cmd.SetAction(p =>
        {
            var r = RunReport.Write(p.GetValue(folder)!);
            AnsiConsole.MarkupLineInterpolated($"Report written: [bold]{r.HtmlPath}[/] (and {r.MarkdownPath}, {r.PlotPaths.Count} plots).");
            if (r.StagesNotRun.Count > 0) AnsiConsole.MarkupLineInterpolated($"Not run yet: {string.Join(", ", r.StagesNotRun)}.");
            return 0;
        });
        return cmd;
    }
}
