using System.Text;

namespace MixBit.Reporting;

/// <summary>report.md: the same content as report.html, with the plots linked from plots/ beside it.</summary>
public static class MarkdownReportRenderer
{
    public static string Render(ReportDocument document)
    {
        var md = new StringBuilder();
        md.Append($"# {Inline(document.Title)}\n\n{Inline(document.Subtitle)}\n");
        foreach (var section in document.Sections)
        {
            md.Append($"\n## {Inline(section.Heading)}\n");
            foreach (var block in section.Blocks) Append(md, block);
        }
        return md.ToString();
    }

    private static void Append(StringBuilder md, ReportBlock block)
    {
        switch (block)
        {
            case ReportParagraph p: md.Append($"\n{Inline(p.Text)}\n"); break;
            case ReportNotRun n: md.Append($"\n*{Inline(n.Text)}*\n"); break;
            case ReportFigure f: md.Append($"\n![{Inline(f.Caption)}]({RunFolderLayout.PlotsFolder}/{f.FileName})\n\n*{Inline(f.Caption)}*\n"); break;
            case ReportTable t:
                md.Append('\n').Append(Row(t.Header));
                md.Append(Row(t.Header.Select((_, i) => t.NumericColumns.Contains(i) ? "---:" : "---").ToArray(), escape: false));
                foreach (var row in t.Rows) md.Append(Row(row));
                break;
            default: throw new ArgumentException($"Unknown report block {block.GetType().Name}.", nameof(block));
        }
    }

    private static string Row(IReadOnlyList<string> cells, bool escape = true)
        => "| " + string.Join(" | ", cells.Select(c => escape ? Inline(c).Replace("|", "\\|") : c)) + " |\n";

    /// <summary>Text on one line with Markdown's emphasis and link characters taken literally.</summary>
    private static string Inline(string text)
    {
        var s = new StringBuilder(text.Length);
        foreach (char c in text.ReplaceLineEndings(" "))
        {
            if (c is '*' or '_' or '[' or ']' or '`' or '<' or '>' or '\\') s.Append('\\');
            s.Append(c);
        }
        return s.ToString();
    }
}
