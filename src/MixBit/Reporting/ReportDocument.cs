namespace MixBit.Reporting;

/// <summary>
/// The report as blocks that both renderers (HTML and Markdown) lay out the same way, so the two files never say
/// different things. Text is plain (the renderers escape it).
/// </summary>
public sealed record ReportDocument(string Title, string Subtitle, IReadOnlyList<ReportSection> Sections)
{
    public IEnumerable<ReportFigure> Figures => Sections.SelectMany(s => s.Blocks).OfType<ReportFigure>();
}

public sealed record ReportSection(string Heading, IReadOnlyList<ReportBlock> Blocks);

public abstract record ReportBlock;

public sealed record ReportParagraph(string Text) : ReportBlock;

/// <summary>A stage whose outputs are missing: said as "not run", never shown as zeros.</summary>
public sealed record ReportNotRun(string What, string MissingFile) : ReportBlock
{
    public string Text => $"{What}: not run ({MissingFile} is missing).";
}

/// <param name="NumericColumns">Columns aligned right (figures).</param>
public sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlySet<int> NumericColumns) : ReportBlock;

/// <summary>A plot: its PNG bytes, the file name it gets under plots/, and what it shows.</summary>
public sealed record ReportFigure(string FileName, string Caption, byte[] Png) : ReportBlock;
