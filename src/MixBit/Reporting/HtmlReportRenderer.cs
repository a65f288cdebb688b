using System.Net;
using System.Text;

namespace MixBit.Reporting;

/// <summary>
/// report.html: one self-contained page (inline CSS, PNGs as base64 data URIs, no scripts, no fonts or links from the
/// network), so it opens from disk, from an archive or a CI artefact alike.
/// </summary>
public static class HtmlReportRenderer
{
    private const string Style = """
        body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2330; background: #f4f5f7; margin: 0; line-height: 1.45; }
        main { max-width: 1040px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
        h1 { font-size: 26px; margin: 8px 0 4px; }
        .subtitle { color: #5a6270; margin: 0 0 20px; }
        h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #dfe3ea; }
        p { margin: 8px 0; }
        p.not-run { color: #8a5a00; background: #fff6e0; border-left: 4px solid #f0b000; padding: 6px 10px; }
        table { border-collapse: collapse; margin: 10px 0 14px; font-size: 14px; }
        th, td { padding: 4px 12px; border-bottom: 1px solid #e3e6eb; text-align: left; vertical-align: top; white-space: nowrap; }
        th { background: #eef1f5; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr:nth-child(even) td { background: #fafbfc; }
        figure { margin: 14px 0 22px; }
        figure img { max-width: 100%; height: auto; border: 1px solid #e3e6eb; }
        figcaption { font-size: 13px; color: #5a6270; margin-top: 4px; }
        """;

    public static string Render(ReportDocument document)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append($"<title>{E(document.Title)}</title>\n<style>\n{Style}\n</style>\n</head>\n<body>\n<main>\n")
            .Append($"<h1>{E(document.Title)}</h1>\n<p class=\"subtitle\">{E(document.Subtitle)}</p>\n");
        foreach (var section in document.Sections)
        {
            html.Append($"<section>\n<h2>{E(section.Heading)}</h2>\n");
            foreach (var block in section.Blocks) Append(html, block);
            html.Append("</section>\n");
        }
        return html.Append("</main>\n</body>\n</html>\n").ToString();
    }

    private static void Append(StringBuilder html, ReportBlock block)
    {
        switch (block)
        {
            case ReportParagraph p: html.Append($"<p>{E(p.Text)}</p>\n"); break;
            case ReportNotRun n: html.Append($"<p class=\"not-run\">{E(n.Text)}</p>\n"); break;
            case ReportFigure f:
                html.Append($"<figure>\n<img alt=\"{E(f.Caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(f.Png)}\">\n")
                    .Append($"<figcaption>{E(f.Caption)}</figcaption>\n</figure>\n");
                break;
            case ReportTable t:
                string Cell(string tag, int column, string text) => t.NumericColumns.Contains(column) ? $"<{tag} class=\"num\">{E(text)}</{tag}>" : $"<{tag}>{E(text)}</{tag}>";
                html.Append("<table>\n<thead><tr>").AppendJoin("", t.Header.Select((h, i) => Cell("th", i, h))).Append("</tr></thead>\n<tbody>\n");
                foreach (var row in t.Rows) html.Append("<tr>").AppendJoin("", row.Select((c, i) => Cell("td", i, c))).Append("</tr>\n");
                html.Append("</tbody>\n</table>\n");
                break;
            default: throw new ArgumentException($"Unknown report block {block.GetType().Name}.", nameof(block));
        }
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
