using MixBit.Memory;
using MixBit.Search;
using MixBit.Workflows;
using static MixBit.Reporting.ReportFormat;

namespace MixBit.Reporting;

/// <summary>
/// Turns a run folder's results into the report's sections: the model, the board and budgets, the per-layer policy,
/// memory per layer, the search, the accuracies of every stage and the C code's instructions. A stage whose file is
/// missing is said as "not run".
/// </summary>
public static class ReportBuilder
{
    public static ReportDocument Build(RunResults run)
    {
        string model = run.Float?.Model ?? run.Analysis?.Model ?? run.Search?.Model ?? run.Settings?.Model ?? "model";
        string device = run.Budget?.Device ?? run.Settings?.Device ?? "device";
        var subtitle = new List<string> { $"Run folder {Path.GetFullPath(run.Folder)}" };
        if (run.Settings?.Started is { } started) subtitle.Add($"started {started:yyyy-MM-dd HH:mm}");
        if (run.Settings?.MixbitVersion is { } version) subtitle.Add($"MixBit {version}");
        return new ReportDocument($"MixBit report: {model} on {device}", string.Join("; ", subtitle) + ".",
        [
            Summary(run), Model(run), Budget(run), Policy(run), Memory(run), Search(run), Accuracy(run), CCode(run),
        ]);
    }

    private static ReportSection Summary(RunResults run)
    {
        var rows = new List<IReadOnlyList<string>>();
        var deployed = run.Integer?.TestAccuracy ?? run.Integer?.FakeQuantTestAccuracy ?? run.Finetune?.TestAccuracy;
        rows.Add(["float model, test accuracy", Percent(run.Float?.TestAccuracy)]);
        rows.Add([run.Integer is not null ? "integer model, test accuracy" : "quantized model, test accuracy", Percent(deployed)]);
        var used = run.SearchedMemory?.Footprint is { } f ? (f.FlashBytes, f.FlashUtilisation, f.PeakRamBytes, f.RamUtilisation)
            : run.Search is { } s ? (s.FlashBytes, s.FlashUtilisation, s.PeakRamBytes, s.RamUtilisation) : ((long, double, long, double)?)null;
        if (used is var (flash, flashShare, ram, ramShare) && run.Budget is { } b)
        {
            rows.Add(["FLASH used", $"{Bytes(flash)} of {MemorySize.Format(b.UsableFlashBytes)} usable ({Percent(flashShare)})"]);
            rows.Add(["peak RAM", $"{Bytes(ram)} of {MemorySize.Format(b.UsableRamBytes)} usable ({Percent(ramShare)})"]);
        }
        else rows.Add(["memory of the searched policy", NotRun]);
        rows.Add(["C code fits every board", run.CCheck is { } c ? YesNo(c.Boards.All(x => x.Fits)) : NotRun]);
        return new ReportSection("Summary", [new ReportTable(["", "result"], rows, new HashSet<int>())]);
    }

    private static ReportSection Model(RunResults run)
    {
        var blocks = new List<ReportBlock>();
        var rows = new List<IReadOnlyList<string>>();
        if (run.Settings?.Model is { } source) rows.Add(["source", source]);
        if (run.Settings?.Data is { } data) rows.Add(["data", data]);
        string? name = run.Float?.Model ?? run.Analysis?.Model;
        if (name is not null) rows.Add(["architecture", name]);
        long? parameters = run.Float?.Parameters ?? run.Analysis?.Parameters, macs = run.Float?.Macs ?? run.Analysis?.TotalMacs;
        if (parameters is { } p) rows.Add(["parameters", Count(p)]);
        if (macs is { } m) rows.Add(["multiply-accumulates per image", Count(m)]);
        if (run.Float is { } f)
        {
            rows.Add(["test accuracy (float)", $"{Percent(f.TestAccuracy)} on {Count(f.TestImages)} images"]);
            if (f.ValidationAccuracy is { } v) rows.Add(["validation accuracy (float)", Percent(v)]);
        }
        if (rows.Count > 0) blocks.Add(new ReportTable(["", "value"], rows, new HashSet<int>()));
        if (run.Float is null) blocks.Add(new ReportNotRun("Float model evaluation", RunFolderLayout.FloatFacts));
        return new ReportSection("Model", blocks);
    }

    private static ReportSection Budget(RunResults run)
    {
        if (run.Budget is not { } b) return new ReportSection("Board and budgets", [new ReportNotRun("Memory analysis", RunFolderLayout.Analysis)]);
        var blocks = new List<ReportBlock>
        {
            new ReportTable(["", "FLASH", "RAM"],
            [
                [$"{b.Device}", Bytes(b.FlashBytes), Bytes(b.RamBytes)],
                ["reserved (runtime code, stack; --flash-reserve, --ram-reserve)", Bytes(b.FlashReserveBytes), Bytes(b.RamReserveBytes)],
                ["usable by the model", Bytes(b.UsableFlashBytes), Bytes(b.UsableRamBytes)],
            ], new HashSet<int> { 1, 2 }),
        };
        var rows = new List<IReadOnlyList<string>>();
        void Add(string policy, FootprintSummary f) => rows.Add([policy, Bytes(f.FlashBytes), Percent(f.FlashUtilisation),
            Bytes(f.PeakRamBytes), Percent(f.RamUtilisation), f.PeakRamOp, YesNo(f.Fits)]);
        if (run.Analysis is { } a)
        {
            Add("uniform 8-bit", a.Uniform8Bit);
            Add("all 2-bit (smallest)", a.All2Bit);
            if (a.RuleBased.Footprint is { } rf) Add("rule-based", rf);
        }
        if (run.SearchedMemory?.Footprint is { } sf) Add("searched", sf);
        if (rows.Count > 0)
            blocks.Add(new ReportTable(["policy", "FLASH", "of usable", "peak RAM", "of usable", "peak at", "fits"], rows, new HashSet<int> { 1, 2, 3, 4 }));
        if (run.Analysis is null) blocks.Add(new ReportNotRun("Memory analysis", RunFolderLayout.Analysis));
        else if (!run.Analysis.RuleBased.Feasible) blocks.Add(new ReportParagraph($"Rule-based policy: infeasible. {run.Analysis.RuleBased.Error}"));
        return new ReportSection("Board and budgets", blocks);
    }

    private static ReportSection Policy(RunResults run)
    {
        if (run.Search is not { } s) return new ReportSection("Per-layer policy", [new ReportNotRun("Search", SummaryPath)]);
        var h = MemoryAnalyzer.Histogram(s.Policy);
        var rule = run.Analysis?.RuleBased.Layers.ToDictionary(l => l.Name);
        var rows = s.Policy.Select(l => (IReadOnlyList<string>)
            [l.Name, l.WeightBits.ToString(), l.ActivationBits.ToString(), rule?.GetValueOrDefault(l.Name) is { } r ? $"{r.WeightBits} / {r.ActivationBits}" : "-"]).ToArray();
        return new ReportSection("Per-layer policy",
        [
            ReportPlots.PolicyBits(s.Policy),
            new ReportParagraph($"Quantized layers by bits: weights 8-bit {h.Weights8}, 4-bit {h.Weights4}, 2-bit {h.Weights2}; activations 8-bit {h.Activations8}, 4-bit {h.Activations4}, 2-bit {h.Activations2}."),
            new ReportTable(["layer", "weight bits", "activation bits", "rule-based W / A"], rows, new HashSet<int> { 1, 2, 3 }),
        ]);
    }

    private static ReportSection Memory(RunResults run)
    {
        if (run.Analysis is not { } a || run.Budget is not { } b)
            return new ReportSection("Memory per layer", [new ReportNotRun("Memory analysis", RunFolderLayout.Analysis)]);
        var names = a.Rows.Select(r => r.Name).ToArray();
        var series = new List<MemorySeries>
        {
            new($"uniform 8-bit", ReportPlots.Uniform, a.Rows.Select(r => r.WeightBytes + r.ParameterBytes).ToArray(), a.Rows.Select(r => r.RamBytes).ToArray()),
        };
        if (a.RuleBased.Feasible)
            series.Add(new("rule-based", ReportPlots.Rule, a.Rows.Select(r => r.RuleFlashBytes ?? 0).ToArray(), a.Rows.Select(r => r.RuleRamBytes ?? 0).ToArray()));
        if (run.SearchedMemory is { } m)
            series.Add(new("searched", ReportPlots.Searched, m.Rows.Select(r => r.WeightBytes + r.ParameterBytes).ToArray(), m.Rows.Select(r => r.RamBytes).ToArray()));
        var blocks = new List<ReportBlock> { ReportPlots.FlashPerLayer(names, series, b), ReportPlots.RamPerOp(names, series, b) };
        if (run.SearchedMemory is null)
            blocks.Add(new ReportNotRun("Memory of the searched policy", run.Search is null ? SummaryPath : RunFolderLayout.FloatModel));
        return new ReportSection("Memory per layer", blocks);
    }

    private static ReportSection Search(RunResults run)
    {
        var blocks = new List<ReportBlock>();
        if (run.Search is { } s)
            blocks.Add(new ReportParagraph($"Strategy {s.Strategy} (seed {s.Seed}, {s.Reward} reward): {Count(s.Evaluations)} policies evaluated " +
                $"({Count(s.Queries)} queries) in {Seconds(s.WallSeconds)}; the chosen policy is record {s.BestIndex}, validation accuracy {Percent(s.Accuracy)} " +
                $"(float {Percent(s.FloatAccuracy)})."));
        else if (run.SearchRecords.Count > 0)
            blocks.Add(new ReportParagraph($"The search has not finished: {Count(run.SearchRecords.Count)} records so far, no {SummaryPath} yet."));
        else
            return new ReportSection("Search", [new ReportNotRun("Search", SummaryPath)]);

        var episodes = run.SearchRecords.Where(r => r.Kind == "episode").ToArray();
        var steps = episodes.Length > 0 ? episodes : run.SearchRecords.Where(r => r.Kind != "probe").ToArray();
        if (steps.Length > 0) blocks.Add(ReportPlots.SearchCurve(steps, episodes.Length > 0 ? "episode" : "evaluation"));
        var evaluated = run.SearchRecords.Where(r => !r.Cached).ToArray();
        if (evaluated.Length > 0 && run.Budget is { } b)
        {
            var markers = new List<(string, long, double)>();
            if (run.RuleBaseline is { } rb) markers.Add(("rule-based", rb.FlashBytes, rb.Accuracy));
            if (run.UniformBaseline is { } ub) markers.Add(($"best uniform ({PolicyName(ub.Policy)})", ub.FlashBytes, ub.Accuracy));
            if (run.Search is { } chosen) markers.Add(("chosen (searched)", chosen.FlashBytes, chosen.Accuracy));
            blocks.Add(ReportPlots.Pareto(evaluated, b, markers));
        }
        var rows = new List<IReadOnlyList<string>>();
        void Add(string name, SearchSummary? x) => rows.Add(x is null
            ? [name, NotRun, NotRun, NotRun, NotRun]
            : [name, Percent(x.Accuracy), Bytes(x.FlashBytes), Bytes(x.PeakRamBytes), YesNo(x.FlashBytes <= x.UsableFlashBytes && x.PeakRamBytes <= x.UsableRamBytes)]);
        Add("rule-based", run.RuleBaseline);
        Add(run.UniformBaseline is { } u ? $"best uniform ({PolicyName(u.Policy)})" : "best uniform", run.UniformBaseline);
        Add("searched", run.Search);
        blocks.Add(new ReportTable(["policy", "validation accuracy", "FLASH", "peak RAM", "fits"], rows, new HashSet<int> { 1, 2, 3 }));
        return new ReportSection("Search", blocks);
    }

    private static ReportSection Accuracy(RunResults run)
    {
        string Images(int? n) => n is { } k ? Count(k) : "";
        IReadOnlyList<IReadOnlyList<string>> rows =
        [
            ["float model", Percent(run.Float?.TestAccuracy), Images(run.Float?.TestImages), "test accuracy"],
            ["fake-quant, calibrated only", Percent(run.Finetune?.CalibratedTestAccuracy), "", "searched policy before QAT"],
            ["fake-quant after QAT", Percent(run.Integer?.FakeQuantTestAccuracy ?? run.Finetune?.TestAccuracy), Images(run.Integer?.TestImages),
                run.Finetune is { } ft ? $"{Count(ft.Epochs, "epoch")} on {Count(ft.TrainImages)} images, {Seconds(ft.Seconds)}" : ""],
            ["integer-only model", Percent(run.Integer?.TestAccuracy), Images(run.Integer?.TestImages),
                run.Integer is { } i ? $"top-1 agreement with fake-quant {Percent(i.Agreement)}" : ""],
            ["C code on the host", Percent(run.CCheck?.HostAccuracy), Images(run.CCheck?.HostImages), ""],
            ["C code under QEMU", run.CCheck is { } c ? (c.QemuBitExact ? "bit-exact" : "differs") : NotRun, Images(run.CCheck?.QemuImages), "outputs against the integer model"],
            ["QDQ ONNX in ONNX Runtime", run.Qdq is { } q ? $"{Percent(q.OnnxRuntimeAgreement)} agreement" : NotRun, Images(run.Qdq?.Images), "top-1 agreement with the integer model"],
        ];
        return new ReportSection("Accuracy at every stage", [new ReportTable(["model", "accuracy", "images", "note"], rows, new HashSet<int> { 1, 2 })]);
    }

    private static ReportSection CCode(RunResults run)
    {
        if (run.CCheck is not { } c) return new ReportSection("C code: size and instructions", [new ReportNotRun("C code check", RunFolderLayout.CCheck)]);
        var rows = c.Boards.Select(b => (IReadOnlyList<string>)
        [
            b.Board, b.Core, MemorySize.Format(b.CodeBytes), MemorySize.Format(b.WeightBytes), $"{MemorySize.Format(b.CodeBytes + b.WeightBytes)} of {MemorySize.Format(b.FlashBytes)}",
            MemorySize.Format(b.ArenaBytes), MemorySize.Format(b.StackBytes), $"{MemorySize.Format(b.ArenaBytes + b.StackBytes)} of {MemorySize.Format(b.RamBytes)}", YesNo(b.Fits),
            Count(b.Instructions),
        ]).ToArray();
        var blocks = new List<ReportBlock>
        {
            new ReportTable(["board", "core", "code", "weights", "FLASH", "arena", "stack", "RAM", "fits", "instructions / image"], rows,
                new HashSet<int> { 2, 3, 4, 5, 6, 7, 9 }),
        };
        if (c.Boards.Count > 0 && c.Boards[0].Layers.Count > 0) blocks.Add(ReportPlots.InstructionsPerLayer(c.Boards));
        return new ReportSection("C code: size and instructions", blocks);
    }

    private static string SummaryPath => $"{RunFolderLayout.SearchFolder}/{SearchWorkflow.SummaryFile}";
}
