using System.CommandLine;
using MixBit.Data;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit eval`: test-set accuracy of a model file.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model file (ONNX), or an integer model (.mbq) run by the integer engine" };
        var integer = new Option<bool>("--integer") { Description = "The model is an integer model (.mbq, from `mixbit convert`)" };
        var data = CommonOptions.Data();
        var batch = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => 256 };
        var threads = CommonOptions.Threads();
        var cmd = new Command("eval", "Evaluate a model file on the test set of --data (Fashion-MNIST by default)") { model, integer, data, batch, threads };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            if (p.GetValue(integer) || IntegerEvalWorkflow.IsIntegerModel(p.GetValue(model)!)) return IntegerEval(p.GetValue(model)!, p.GetValue(data));
            var r = Interruption.Run(cancel => EvalWorkflow.Run(p.GetValue(model)!, new DatasetSource(p.GetValue(data)), p.GetValue(batch), cancel));
            AnsiConsole.MarkupLineInterpolated(
                $"{r.ModelName}: {r.Parameters:N0} parameters, test accuracy [bold]{r.Accuracy:P2}[/] (loss {r.Loss:F4}) on {r.Samples:N0} images, {r.ImagesPerSecond:F0} img/s");
            return 0;
        });
        return cmd;
    }

    private static int IntegerEval(string path, string? data)
    {
        var r = IntegerEvalWorkflow.Run(path, new DatasetSource(data));
        AnsiConsole.MarkupLineInterpolated(
            $"{r.ModelName} (integer, FLASH {r.FlashBytes:N0} B): test accuracy [bold]{r.Accuracy:P2}[/] on {r.Samples:N0} images, {r.ImagesPerSecond:N0} img/s");
        return 0;
    }
}
