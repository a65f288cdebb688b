using System.CommandLine;
using MixBit.Models;
using MixBit.Models.Onnx;
using MixBit.Nn;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary><c>mixbit inspect model.onnx</c>: the layer table of an ONNX model and whether MixBit can quantize it.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "ONNX model file (.onnx)" };
        var cmd = new Command("inspect", "Show an ONNX model's layers (shapes, parameters, MACs) and whether MixBit can quantize it.") { model };
        cmd.SetAction(parse => Run(parse.GetValue(model)!, AnsiConsole.Console, CliErrors.Error));
        return cmd;
    }

    /// <summary>
    /// Exit code 0 when MixBit can import (and so quantize) the model, <see cref="CliErrors.BadInput"/> otherwise; the
    /// table goes to <paramref name="console"/>, the reason a model cannot be read to <paramref name="errors"/>.
    /// </summary>
    public static int Run(string path, IAnsiConsole console, IAnsiConsole errors)
    {
        Model model;
        IReadOnlyDictionary<string, string> metadata;
        try { (model, metadata) = ModelFile.LoadWithMetadata(path); }
        catch (OnnxImportException e)
        {
            errors.MarkupLineInterpolated($"[red]error:[/] MixBit cannot quantize this model: {e.Message}");
            return CliErrors.BadInput;
        }
        catch (MixBitException e)
        {
            errors.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return CliErrors.BadInput;
        }

        var g = model.Graph;
        var table = new Table().Title($"{Markup.Escape(g.Name)} ({Markup.Escape(Path.GetFileName(path))})")
            .AddColumn("#").AddColumn("layer").AddColumn("op").AddColumn("input -> output")
            .AddColumn(new TableColumn("parameters").RightAligned()).AddColumn(new TableColumn("MACs").RightAligned());
        for (int i = 0; i < g.Count; i++)
        {
            var node = g.Nodes[i];
            string inputs = string.Join(" + ", g.InputShapesOf(i));
            long parameters = node.Spec.Parameters.Where(p => p.Trainable).Sum(p => (long)p.Elements);
            table.AddRow(i.ToString(), Markup.Escape(node.Name), node.Spec.OpName, $"{inputs} -> {g.ShapeOf(i)}",
                parameters == 0 ? "" : parameters.ToString("N0"), g.MacsOf(i) == 0 ? "" : g.MacsOf(i).ToString("N0"));
        }
        table.AddRow("", "[bold]total[/]", "", $"{g.InputShape} -> {g.OutputShape}",
            $"[bold]{g.TrainableParameterCount:N0}[/]", $"[bold]{g.TotalMacs:N0}[/]");
        console.Write(table);

        foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            console.MarkupLineInterpolated($"[grey]{key}:[/] {value}");
        int weightLayers = g.Nodes.Count(n => n.Spec.Parameters.Any(p => p.Kind == Nn.Specs.ParameterKind.Weight));
        console.MarkupLineInterpolated($"[green]MixBit can quantize this model[/]: {g.Count} layers, {weightLayers} with weights, {g.TrainableParameterCount * 4:N0} bytes of float32 parameters.");
        return 0;
    }
}
