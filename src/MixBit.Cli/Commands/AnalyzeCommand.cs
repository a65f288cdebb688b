using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using MixBit.Memory;
using MixBit.Models;
using MixBit.Models.Architectures;
using MixBit.Quantization;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary><c>mixbit analyze</c>: FLASH and RAM of a model on a device, per layer, and the rule-based bit policy.</summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var arch = new Option<string?>("--arch") { Description = $"Built-in architecture: {string.Join(", ", ArchitectureRegistry.Names)}." };
        var model = new Option<FileInfo?>("--model") { Description = "Model file (ONNX) to analyse instead of --arch." };
        var width = new Option<double?>("--width") { Description = "Width multiplier (default 1.0)." };
        var resolution = new Option<int?>("--resolution") { Description = "Input height and width in pixels (default 224)." };
        var inputChannels = new Option<int?>("--input-channels") { Description = "Input channels (default 3)." };
        var classes = new Option<int?>("--classes") { Description = "Number of classes (default 1000)." };
        var budgetOptions = new BudgetOptions();
        var policy = new Option<FileInfo?>("--policy") { Description = "Bit policy JSON to analyse instead of uniform 8-bit." };
        var savePolicy = new Option<FileInfo?>("--save-policy") { Description = "Write the rule-based policy to this JSON file (if the budget is feasible)." };
        var json = new Option<bool>("--json") { Description = "Write the report as JSON to stdout instead of tables." };
        var force = CommonOptions.Force();

        var cmd = new Command("analyze", "FLASH and RAM of a quantized model on a microcontroller, layer by layer, and the rule-based (memory-driven) bit policy that fits it.")
        {
            arch, model, width, resolution, inputChannels, classes, policy, savePolicy, json, force,
        };
        foreach (var o in budgetOptions.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var (archName, modelFile) = (parse.GetValue(arch), parse.GetValue(model));
            if (parse.GetValue(savePolicy) is { } target)
                Workflows.RunOutputs.Check([target.FullName], [(parse.GetValue(policy)?.FullName, "--policy"), (modelFile?.FullName, "--model")], parse.GetValue(force));
            if ((archName is null) == (modelFile is null))
                throw new MixBitException("Give exactly one model: --arch NAME (with --width, --resolution, ...) or --model FILE.");
            if (modelFile is not null && (parse.GetValue(width), parse.GetValue(resolution), parse.GetValue(inputChannels), parse.GetValue(classes)) != (null, null, null, null))
                throw new MixBitException("--width, --resolution, --input-channels and --classes apply to --arch only; a --model file has its own shape.");
            var defaults = new ArchitectureOptions();
            var graph = modelFile is not null ? ModelFile.Load(modelFile.FullName).Graph : ArchitectureRegistry.Build(archName!, new ArchitectureOptions(
                parse.GetValue(width) ?? defaults.Width, parse.GetValue(resolution) ?? defaults.Resolution,
                parse.GetValue(inputChannels) ?? defaults.InputChannels, parse.GetValue(classes) ?? defaults.Classes));
            var budget = budgetOptions.Resolve(parse);
            var policyFile = parse.GetValue(policy);
            var given = policyFile is null ? null : BitPolicy.Read(policyFile.FullName, graph);

            var report = MemoryAnalyzer.Analyze(graph, budget, given, policyFile?.Name);

            if (parse.GetValue(savePolicy) is { } save && report.RuleBased.Feasible)
                BitPolicy.Create(graph, report.RuleBased.Layers.Select(l => KeyValuePair.Create(l.Name, new LayerBits(l.WeightBits, l.ActivationBits)))).Write(save.FullName);
            if (parse.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(report, JsonOptions));
            else Render(report, parse.GetValue(savePolicy));
            // The report is printed either way (stdout); an impossible budget still fails the command, said on stderr.
            if (report.RuleBased.Feasible) return 0;
            CliErrors.Report($"{report.RuleBased.Error}{(parse.GetValue(savePolicy) is { } p ? $" No policy was written to {p}." : "")}");
            return CliErrors.BadInput;
        });
        return cmd;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static void Render(MemoryReport r, FileInfo? savedPolicy)
    {
        var b = r.Budget;
        AnsiConsole.MarkupLineInterpolated($"[bold]{r.Model}[/]: {r.Parameters:N0} parameters, {r.TotalMacs:N0} MACs; policy {r.PolicySource}");
        AnsiConsole.MarkupLineInterpolated($"Device {b.Device}: {MemorySize.Format(b.FlashBytes)} FLASH, {MemorySize.Format(b.RamBytes)} RAM; reserves {MemorySize.Format(b.FlashReserveBytes)} / {MemorySize.Format(b.RamReserveBytes)}; usable {MemorySize.Format(b.UsableFlashBytes)} / {MemorySize.Format(b.UsableRamBytes)}");

        var table = new Table().Border(TableBorder.Simple);
        foreach (var (title, right) in new[]
        {
            ("#", true), ("layer", false), ("op", false), ("out", false), ("MACs", true), ("weights", true), ("w/a", false),
            ("weight B", true), ("param B", true), ("act B", true), ("RAM B", true), ("binds", false), ("rule w/a", false), ("rule RAM B", true),
        })
        {
            var column = new TableColumn(title);
            table.AddColumn(right ? column.RightAligned() : column);
        }
        foreach (var row in r.Rows)
        {
            string Bits(int? w, int? a) => w is null ? "" : w == 0 ? $"-/{a}" : $"{w}/{a}";
            table.AddRow(
                row.Index.ToString(), Markup.Escape(row.Name), row.Op, row.OutputShape, $"{row.Macs:N0}", row.WeightCount == 0 ? "" : $"{row.WeightCount:N0}",
                Bits(row.WeightBits, row.OutputBits), row.WeightBytes == 0 ? "" : $"{row.WeightBytes:N0}", $"{row.ParameterBytes:N0}",
                $"{row.ActivationBytes:N0}", row.Binds.Contains("RAM") ? $"[red]{row.RamBytes:N0}[/]" : $"{row.RamBytes:N0}",
                row.Binds, Bits(row.RuleWeightBits, row.RuleOutputBits), row.RuleRamBytes is { } rr ? $"{rr:N0}" : "");
        }
        AnsiConsole.Write(table);

        var totals = new Table().Border(TableBorder.Simple)
            .AddColumn("policy").AddColumn(new TableColumn("FLASH").RightAligned()).AddColumn(new TableColumn("of budget").RightAligned())
            .AddColumn(new TableColumn("peak RAM").RightAligned()).AddColumn(new TableColumn("of budget").RightAligned()).AddColumn("peak at").AddColumn("fits");
        void Add(string name, FootprintSummary f) => totals.AddRow(name,
            $"{MemorySize.Format(f.FlashBytes)} ({f.FlashBytes:N0} B)", Percent(f.FlashUtilisation, f.FlashFits),
            $"{MemorySize.Format(f.PeakRamBytes)} ({f.PeakRamBytes:N0} B)", Percent(f.RamUtilisation, f.RamFits),
            Markup.Escape(f.PeakRamOp), f.Fits ? "[green]yes[/]" : "[red]no[/]");
        Add(Markup.Escape(r.PolicySource), r.Footprint);
        if (r.PolicySource != "uniform 8-bit") Add("uniform 8-bit", r.Uniform8Bit);
        Add("all 2-bit (minimum)", r.All2Bit);
        if (r.RuleBased.Footprint is { } rf) Add("rule-based", rf);
        AnsiConsole.Write(totals);
        AnsiConsole.MarkupLineInterpolated($"Uniform 8-bit {(r.Uniform8Bit.Fits ? "fits" : "does not fit")} ({(r.Uniform8Bit.FlashFits ? "FLASH ok" : "FLASH over")}, {(r.Uniform8Bit.RamFits ? "RAM ok" : "RAM over")}).");
        if (r.RuleBased.Feasible)
        {
            AnsiConsole.MarkupLineInterpolated($"Rule-based policy: {r.RuleBased.Histogram}; {r.RuleBased.Cuts.Count} cuts ({r.RuleBased.Cuts.Count(c => c.Reason == BitCutReason.Ram)} for RAM, {r.RuleBased.Cuts.Count(c => c.Reason == BitCutReason.Flash)} for FLASH).");
            if (savedPolicy is not null) AnsiConsole.MarkupLineInterpolated($"Rule-based policy written to {savedPolicy.FullName}.");
        }
        else
            AnsiConsole.MarkupLineInterpolated($"[red]Rule-based policy: infeasible.[/] {r.RuleBased.Error}");
    }

    private static string Percent(double utilisation, bool fits) => fits ? $"{utilisation:P1}" : $"[red]{utilisation:P1}[/]";
}
