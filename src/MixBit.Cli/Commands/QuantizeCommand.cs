using System.CommandLine;
using MixBit.Data;
using MixBit.Quantization;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit quantize`: calibrate a model for a bit policy and evaluate the fake-quantized model against its float model.</summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model file (ONNX)", Required = true };
        var flags = new QuantizationFlags();
        var split = new Option<string>("--split") { Description = "Evaluate on test or validation images", DefaultValueFactory = _ => "test" };
        var count = new Option<int>("--count") { Description = "Evaluation images (0 = all of the split)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed choosing the calibration images", DefaultValueFactory = _ => 0 };
        var data = CommonOptions.Data();
        var json = new Option<bool>("--json") { Description = "Write the result as JSON to stdout instead of text" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("quantize", "Calibrate and evaluate a model for a bit policy (fake quantization)") { model };
        foreach (var o in flags.All) cmd.Options.Add(o);
        foreach (var o in new Option[] { split, count, seed, data, json, threads }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            var request = new QuantizeRequest(p.GetValue(model)!, flags.Policy(p), flags.Options(p), ParseSplit(p.GetValue(split)!), p.GetValue(count), p.GetValue(seed), p.GetValue(data));
            var o = QuantizeWorkflow.Run(request);
            var r = o.Result;
            if (p.GetValue(json))
            {
                Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { o.PolicySummary, o.FineTuned, Split = p.GetValue(split), r.Accuracy, r.FloatAccuracy, r.Agreement, r.MeanKl, r.Samples, r.Seconds },
                    new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase }));
                return 0;
            }
            AnsiConsole.MarkupLineInterpolated($"policy: {o.PolicySummary}");
            AnsiConsole.MarkupLineInterpolated(
                $"quantized accuracy [bold]{r.Accuracy:P2}[/], float accuracy {r.FloatAccuracy:P2}{(o.FineTuned ? " (fine-tuned weights unquantized)" : "")} (drop {r.AccuracyDropPoints:F2} points), top-1 agreement {r.Agreement:P2}, mean KL {r.MeanKl:F4} on {r.Samples:N0} {p.GetValue(split)} images ({r.Seconds:F2} s)");
            return 0;
        });
        return cmd;
    }

    private static EvaluationSplit ParseSplit(string s) => s.ToLowerInvariant() switch
    {
        "test" => EvaluationSplit.Test,
        "validation" => EvaluationSplit.Validation,
        _ => throw new MixBitException($"Unknown --split '{s}': use test or validation."),
    };
}
