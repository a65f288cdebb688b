using System.CommandLine;
using MixBit.Data;
using MixBit.Integer;
using MixBit.Quantization;
using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>`mixbit deploy`: the C library of an integer model (or of a fine-tuned model, converted on the way), optionally built and checked.</summary>
public static class DeployCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Integer model (.mbq, from `mixbit convert`) or a fine-tuned model (ONNX), converted with its stored policy", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Folder to write the C library into (replaced atomically)", Required = true };
        var board = new Option<string>("--board") { Description = "Board preset whose budget and core the check uses", DefaultValueFactory = _ => "stm32g071" };
        var check = new Option<bool>("--check") { Description = "Build with host gcc (whole test set vs the integer engine) and arm-none-eabi-gcc (size vs the board budget), run in QEMU (bit-exact, instructions); writes check.json" };
        var images = new Option<int>("--test-images") { Description = "Test images embedded in the harness and checked in QEMU", DefaultValueFactory = _ => 20 };
        var cores = new Option<string?>("--cores") { Description = "Cores to build and run with --check, comma-separated (m0plus, m4, m7, m55; default: the board's core, m4, m7, m55)" };
        var data = new Option<string?>("--data") { Description = $"Folder with the Fashion-MNIST IDX files (default {FashionMnist.DefaultDirectory})" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("deploy", "Write the C library of an integer model for a Cortex-M board; --check builds it and runs it in QEMU") { model, output, board, check, images, cores, data, threads };
        cmd.SetAction(p =>
        {
            CommonOptions.ApplyThreads(p.GetValue(threads));
            string path = p.GetValue(model)!;
            if (p.GetValue(images) < 1) throw new MixBitException("--test-images must be at least 1.");
            Memory.BoardPreset.Find(p.GetValue(board)!);
            var options = new DeployOptions(p.GetValue(output)!, p.GetValue(board)!, p.GetValue(check), p.GetValue(images), p.GetValue(data),
                p.GetValue(cores)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            var r = AnsiConsole.Status().Start("deploying", ctx =>
            {
                var progress = new StatusProgress(ctx);
                var q = LoadModel(path, p.GetValue(data), progress);
                return (Model: q, Check: DeployWorkflow.Run(q, options, progress));
            });
            var m = r.Model;
            AnsiConsole.MarkupLineInterpolated($"wrote {Path.GetFullPath(options.OutputDirectory)}: {m.Ops.Length} ops, weights {m.WeightBytes:N0} B + parameters {m.ParameterBytes:N0} B (FLASH), arena {new CodeGen.CModelWriter(m).Arena.SizeBytes:N0} B (RAM)");
            var c = r.Check;
            if (!c.Checked) return 0;
            AnsiConsole.MarkupLineInterpolated(
                $"host (gcc): accuracy [bold]{c.Facts.HostAccuracy:P2}[/] on {c.Facts.HostImages:N0} test images, integer engine {c.IntegerAccuracy:P2}; logits bit-exact on {c.HostBitExact:N0} of {c.Facts.HostImages:N0}");
            foreach (var d in c.Boards)
            {
                var b = d.Facts;
                AnsiConsole.MarkupLineInterpolated(
                    $"{b.Core} ({b.Board}): FLASH {b.FlashBytes:N0} B (code {b.CodeBytes:N0} + weights {b.WeightBytes:N0} + parameters {d.ParameterBytes:N0}), RAM {b.RamBytes:N0} B (arena {b.ArenaBytes:N0} + stack {b.StackBytes:N0} + other {b.RamBytes - b.ArenaBytes - b.StackBytes:N0}); QEMU bit-exact {d.QemuBitExact}/{d.QemuImages}; {b.Instructions:N0} instructions per inference");
            }
            var own = c.Boards.Count > 0 ? c.Boards[0].Facts : null;
            bool exact = c.HostBitExact == c.Facts.HostImages && c.Facts.QemuBitExact;
            if (own is not null && !own.Fits)
            {
                CliErrors.Report($"The model does not fit {c.Device}: the {own.Core} build needs {own.FlashBytes:N0} B FLASH of {c.BudgetFlashBytes:N0} and {own.RamBytes:N0} B RAM of {c.BudgetRamBytes:N0} (arm-none-eabi-size plus the measured stack); choose lower bits (mixbit analyze --board {c.Device} --save-policy) or a larger board.");
                return CliErrors.BadInput;
            }
            if (!exact)
            {
                CliErrors.Report("The C library's logits differ from the integer engine's (see check.json); this is a bug.");
                return 1;
            }
            AnsiConsole.MarkupLineInterpolated($"[green]fits {c.Device}[/] ({c.BudgetFlashBytes:N0} B FLASH / {c.BudgetRamBytes:N0} B RAM); wrote {DeployWorkflow.CheckFile}");
            return 0;
        });
        return cmd;
    }

    /// <summary>An .mbq is loaded; a fine-tuned ONNX model is converted with its stored policy and learned ranges.</summary>
    private static QuantizedModel LoadModel(string path, string? data, IProgress<string> progress)
    {
        if (IntegerEvalWorkflow.IsIntegerModel(path)) return QuantizedModelFile.Load(path);
        string tmp = Path.Combine(Path.GetTempPath(), $"mixbit-deploy-{Guid.NewGuid():N}.mbq");
        try
        {
            return ConvertWorkflow.Run(new ConvertRequest(path, new PolicySource(), new QuantizationOptions(), tmp, DataDirectory: data), progress).Model;
        }
        finally { File.Delete(tmp); }
    }

    private sealed class StatusProgress(StatusContext context) : IProgress<string>
    {
        public void Report(string value) => context.Status(value);
    }
}
