using MixBit.Memory;
using MixBit.Search;
using MixBit.Workflows;
using ScottPlot;

namespace MixBit.Reporting;

/// <summary>
/// The report's plots (ScottPlot, rendered to PNG in memory). Sizes are shown in kB (1 kB = 1024 B, as MixBit prints
/// them); every plot has its own legend and axis titles, since report.md shows it without the HTML around it.
/// </summary>
public static class ReportPlots
{
    public const int WidthPixels = 1000, HeightPixels = 440;

    /// <summary>One colour per policy across the plots: uniform grey, rule-based orange, searched blue.</summary>
    public static readonly Color Uniform = Color.FromHex("#9aa3ad"), Rule = Color.FromHex("#ff7f0e"), Searched = Color.FromHex("#1f77b4");

    private static readonly Color Weights = Searched, Activations = Rule, Budget = Color.FromHex("#d62728"), Other = Color.FromHex("#2ca02c");

    /// <summary>Weight and activation bits of every quantized layer, side by side.</summary>
    public static ReportFigure PolicyBits(IReadOnlyList<PolicyLayer> layers)
    {
        var plot = NewPlot("Bits per layer (searched policy)", "", "bits");
        AddGroupedBars(plot, layers.Count, [("weights", Weights, i => layers[i].WeightBits), ("activations", Activations, i => layers[i].ActivationBits)]);
        LayerTicks(plot, layers.Select(l => l.Name).ToArray());
        plot.Axes.Left.SetTicks([2, 4, 8], ["2", "4", "8"]);
        plot.Axes.SetLimitsY(0, 9);
        return Render(plot, "policy-bits.png", "Weight and activation bits of every quantized layer in the searched policy.");
    }

    /// <summary>FLASH (weights and per-channel parameters) per op and the running total against the usable FLASH budget.</summary>
    public static ReportFigure FlashPerLayer(IReadOnlyList<string> opNames, IReadOnlyList<MemorySeries> policies, BudgetSummary budget)
    {
        var ops = Enumerable.Range(0, opNames.Count).Where(i => policies.Any(p => p.FlashBytes[i] > 0)).ToArray();
        var plot = NewPlot("FLASH per layer", "", "FLASH of the layer (kB)");
        AddGroupedBars(plot, ops.Length, policies.Select(p => (p.Name, p.Color, (Func<int, double>)(i => Kb(p.FlashBytes[ops[i]])))).ToArray());
        LayerTicks(plot, ops.Select(i => opNames[i]).ToArray());
        var last = policies[^1];
        double running = 0;
        var cumulative = ops.Select(i => running += Kb(last.FlashBytes[i])).ToArray();
        var line = plot.Add.Scatter(Enumerable.Range(0, ops.Length).Select(i => (double)i).ToArray(), cumulative);
        line.Color = last.Color.Lighten(0.1);
        line.LineWidth = 2;
        line.MarkerSize = 4;
        line.LegendText = $"{last.Name}: running total (right axis)";
        line.Axes.YAxis = plot.Axes.Right;
        var limit = plot.Add.HorizontalLine(Kb(budget.UsableFlashBytes));
        limit.Axes.YAxis = plot.Axes.Right;
        BudgetStyle(limit, $"usable FLASH {MemorySize.Format(budget.UsableFlashBytes)} (right axis)");
        plot.Axes.Right.Label.Text = "running total (kB)";
        plot.Axes.Right.Range.Set(0, Math.Max(cumulative.Max(), Kb(budget.UsableFlashBytes)) * 1.08);
        return Render(plot, "flash-per-layer.png",
            $"FLASH of every layer's weights and parameters (bars, left axis) and the running total of the {last.Name} policy against the usable FLASH budget (right axis).");
    }

    /// <summary>RAM of every op (live activations and scratch) against the usable RAM budget.</summary>
    public static ReportFigure RamPerOp(IReadOnlyList<string> opNames, IReadOnlyList<MemorySeries> policies, BudgetSummary budget)
    {
        var plot = NewPlot("RAM per op", "", "RAM while the op runs (kB)");
        AddGroupedBars(plot, opNames.Count, policies.Select(p => (p.Name, p.Color, (Func<int, double>)(i => Kb(p.RamBytes[i])))).ToArray());
        LayerTicks(plot, opNames.ToArray());
        BudgetStyle(plot.Add.HorizontalLine(Kb(budget.UsableRamBytes)), $"usable RAM {MemorySize.Format(budget.UsableRamBytes)}");
        plot.Axes.SetLimitsY(0, Math.Max(policies.Max(p => p.RamBytes.Max(Kb)), Kb(budget.UsableRamBytes)) * 1.1);
        return Render(plot, "ram-per-op.png", "RAM of every op (its live activation tensors and scratch buffer) against the usable RAM budget (red line).");
    }

    /// <summary>Reward of every episode and the best accuracy found so far (among policies that fit).</summary>
    public static ReportFigure SearchCurve(IReadOnlyList<SearchRecord> steps, string stepName)
    {
        var plot = NewPlot("Search progress", stepName, "reward");
        var xs = Enumerable.Range(1, steps.Count).Select(i => (double)i).ToArray();
        var reward = plot.Add.ScatterPoints(xs, steps.Select(s => s.Reward).ToArray());
        reward.Color = Weights.WithAlpha(0.7);
        reward.MarkerSize = 5;
        reward.LegendText = $"reward of the {stepName}";
        double best = double.NaN;
        var bestSoFar = steps.Select(s => best = s.Fits && !(s.Accuracy <= best) ? s.Accuracy : best).ToArray();
        var firstFit = Array.FindIndex(bestSoFar, v => !double.IsNaN(v));
        if (firstFit >= 0)
        {
            var line = plot.Add.Scatter(xs[firstFit..], bestSoFar[firstFit..].Select(v => v * 100).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LineWidth = 2.5f;
            line.Color = Other;
            line.LegendText = "best accuracy so far, fitting policies (right axis)";
            line.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "accuracy (%)";
        }
        return Render(plot, "search-curve.png",
            $"Reward of every {stepName} (points, left axis) and the best validation accuracy found so far among policies that fit the budget (line, right axis).");
    }

    /// <summary>Accuracy against FLASH of every evaluated policy, the Pareto front, the baselines and the chosen policy.</summary>
    public static ReportFigure Pareto(IReadOnlyList<SearchRecord> evaluated, BudgetSummary budget, IReadOnlyList<(string Name, long FlashBytes, double Accuracy)> markers)
    {
        var plot = NewPlot("Accuracy against FLASH", "FLASH (kB)", "validation accuracy (%)");
        bool RamFits(SearchRecord r) => r.PeakRamBytes <= budget.UsableRamBytes;
        void Points(IEnumerable<SearchRecord> records, Color color, string legend)
        {
            var list = records.ToArray();
            if (list.Length == 0) return;
            var points = plot.Add.ScatterPoints(list.Select(r => Kb(r.FlashBytes)).ToArray(), list.Select(r => r.Accuracy * 100.0).ToArray());
            points.Color = color;
            points.MarkerSize = 6;
            points.LegendText = legend;
        }
        Points(evaluated.Where(r => !RamFits(r)), Uniform.WithAlpha(0.6), "evaluated, peak RAM over budget");
        Points(evaluated.Where(RamFits), Weights.WithAlpha(0.55), "evaluated, peak RAM within budget");
        var front = ParetoFront.Of(evaluated.Where(RamFits).Select(r => (r.FlashBytes, (double)r.Accuracy)));
        if (front.Count > 0)
        {
            var line = plot.Add.Scatter(front.Select(p => Kb(p.FlashBytes)).ToArray(), front.Select(p => p.Accuracy * 100).ToArray());
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.Color = Weights;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = "Pareto front (peak RAM within budget)";
        }
        var shapes = new[] { (MarkerShape.FilledTriangleUp, Rule), (MarkerShape.FilledSquare, Other), (MarkerShape.FilledDiamond, Budget) };
        for (int i = 0; i < markers.Count; i++)
        {
            var m = plot.Add.Marker(Kb(markers[i].FlashBytes), markers[i].Accuracy * 100, shapes[i % shapes.Length].Item1, 13);
            m.Color = shapes[i % shapes.Length].Item2;
            m.LegendText = markers[i].Name;
        }
        BudgetStyle(plot.Add.VerticalLine(Kb(budget.UsableFlashBytes)), $"usable FLASH {MemorySize.Format(budget.UsableFlashBytes)}");
        return Render(plot, "pareto.png",
            "Validation accuracy against FLASH of every policy the search evaluated, the Pareto front of those whose peak RAM fits, the baselines and the chosen policy; the red line is the usable FLASH.");
    }

    /// <summary>Instructions of one inference per layer, one bar per board.</summary>
    public static ReportFigure InstructionsPerLayer(IReadOnlyList<BoardCheck> boards)
    {
        var layers = boards[0].Layers;
        var plot = NewPlot("Instructions per layer (one inference)", "", "instructions (millions)");
        var palette = new ScottPlot.Palettes.Category10();
        AddGroupedBars(plot, layers.Count, boards.Select((b, k) =>
            ($"{b.Board} ({b.Core})", palette.GetColor(k), (Func<int, double>)(i => Instructions(b, layers[i].Name) / 1e6))).ToArray());
        LayerTicks(plot, layers.Select(l => l.Name).ToArray());
        return Render(plot, "instructions-per-layer.png", "Instructions each layer of the generated C code executes for one image, per board (counted under QEMU).");
    }

    private static double Instructions(BoardCheck board, string layer) => board.Layers.FirstOrDefault(l => l.Name == layer)?.Instructions ?? 0;

    private static double Kb(long bytes) => bytes / (double)MemorySize.KiB;

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(title, size: 17);
        plot.XLabel(xLabel, size: 14);
        plot.YLabel(yLabel, size: 14);
        plot.Legend.FontSize = 12;
        // Beside the data, under the axis, so it never covers a bar or a point.
        plot.ShowLegend(Edge.Bottom);
        plot.Legend.Orientation = Orientation.Horizontal;
        return plot;
    }

    /// <summary>Bars of several series per position i = 0..count-1, side by side, with a legend entry per series.</summary>
    private static void AddGroupedBars(Plot plot, int count, IReadOnlyList<(string Name, Color Color, Func<int, double> Value)> series)
    {
        double width = 0.8 / series.Count;
        var bars = new List<Bar>();
        for (int s = 0; s < series.Count; s++)
        {
            for (int i = 0; i < count; i++)
                bars.Add(new Bar
                {
                    Position = i - 0.4 + width * (s + 0.5), Value = series[s].Value(i), Size = width * 0.92,
                    FillColor = series[s].Color, LineWidth = 0,
                });
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = series[s].Color });
        }
        plot.Add.Bars(bars);
        plot.Axes.Margins(bottom: 0);
    }

    /// <summary>Layer names under the bars, turned so that long names do not overlap.</summary>
    private static void LayerTicks(Plot plot, string[] names)
    {
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, names.Length).Select(i => (double)i).ToArray(), names);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -50;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 11;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.MinimumSize = 10 + 5.5f * names.Max(n => n.Length); // the turned labels' height
        plot.Axes.SetLimitsX(-0.7, names.Length - 0.3);
    }

    private static void BudgetStyle(ScottPlot.Plottables.AxisLine line, string legend)
    {
        line.Color = Budget;
        line.LineWidth = 2;
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = legend;
    }

    private static ReportFigure Render(Plot plot, string fileName, string caption)
        => new(fileName, caption, plot.GetImageBytes(WidthPixels, HeightPixels, ImageFormat.Png));
}
