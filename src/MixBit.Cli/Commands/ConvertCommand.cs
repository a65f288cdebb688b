using System.CommandLine;
using MixBit.Data;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit convert`: the integer-only model (.mbq) of a model file for a bit policy, optionally also as QDQ ONNX.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model file (ONNX); a fine-tuned model brings its policy and learned ranges", Required = true };
        var flags = new QuantizationFlags();
        var output = new Option<string>("--output", "-o") { Description = "Integer model file to write (.mbq)", Required = true };
        var qdq = new Option<string?>("--qdq") { Description = "Also write the quantized model as QDQ ONNX (QuantizeLinear/DequantizeLinear) to this file" };
        var seed = new Option<int>("--seed") { Description = "Seed choosing the calibration images", DefaultValueFactory = _ => 0 };
        var data = new Option<string?>("--data") { Description = $"Folder with the Fashion-MNIST IDX files (default {FashionMnist.DefaultDirectory})" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("convert", "Convert a model into the integer-only model the microcontroller runs (.mbq), checked against its fake-quant model") { model };
        foreach (var o in flags.All) cmd.Options.Add(o);
        foreach (var o in new Option[] { output, qdq, seed, data, threads }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            string path = p.GetValue(output)!;
            if (!path.EndsWith(Integer.QuantizedModelFile.Extension, StringComparison.OrdinalIgnoreCase))
                throw new MixBitException($"The integer model file '{path}' must end in {Integer.QuantizedModelFile.Extension}.");
            var request = new ConvertRequest(p.GetValue(model)!, flags.Policy(p), flags.Options(p), path, p.GetValue(seed), p.GetValue(data), QdqPath: p.GetValue(qdq));
            var o = AnsiConsole.Status().Start("converting", ctx => ConvertWorkflow.Run(request, new StatusProgress(ctx)));
            var f = o.Fidelity;
            AnsiConsole.MarkupLineInterpolated($"policy: {o.PolicySummary}");
            AnsiConsole.MarkupLineInterpolated(
                $"FLASH {o.Model.FlashBytes:N0} B stored = weights {o.Model.WeightBytes:N0} B + parameters {o.Model.ParameterBytes:N0} B (memory model: {o.PlanFlashBytes:N0} B)");
            AnsiConsole.MarkupLineInterpolated(
                $"integer accuracy [bold]{f.IntegerAccuracy:P2}[/], fake-quant accuracy {f.FakeQuantAccuracy:P2} ({f.AccuracyDifferencePoints:+0.00;-0.00} points), top-1 agreement [bold]{f.Agreement:P2}[/], max logit difference {f.MaxLogitDifference} LSB on {f.Images:N0} test images; integer engine {f.IntegerImagesPerSecond:N0} img/s");
            AnsiConsole.MarkupLineInterpolated($"wrote {o.OutputPath}{(o.QdqPath is null ? "" : $" and {o.QdqPath}")}");
            return 0;
        });
        return cmd;
    }

    private sealed class StatusProgress(StatusContext context) : IProgress<string>
    {
        public void Report(string value) => context.Status(value);
    }
}
