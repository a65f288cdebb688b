using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MixBit.Models;
using MixBit.Tests.Cli;
using MixBit.Tests.Data;
using MixBit.Workflows;

namespace MixBit.Tests.Reliability;

/// <summary>
/// `mixbit train` as a real process, interrupted by SIGINT and SIGTERM: the message says truly what is saved, the
/// checkpoint resumes to the same model as an uninterrupted run, and a resume with any other result-changing option,
/// a damaged optimizer state, or a new run over the checkpoint without --resume is refused without touching it.
/// </summary>
public class InterruptionTests
{
    /// <summary>The train command line; an option in <paramref name="extra"/> replaces the default one's value.</summary>
    private static string[] Train(string data, string output, int epochs, params string[] extra)
    {
        var args = new List<string>
        {
            "train", "--arch", "reference_cnn", "--data", data, "--validation", "100", "--epochs", epochs.ToString(), "--batch-size", "32",
            "--threads", "1", "-o", output,
        };
        for (int i = 0; i < extra.Length; i++)
        {
            int at = args.IndexOf(extra[i]);
            bool hasValue = i + 1 < extra.Length && !extra[i + 1].StartsWith("--", StringComparison.Ordinal);
            if (at >= 0 && hasValue) args[at + 1] = extra[++i];
            else { args.Add(extra[i]); if (hasValue) args.Add(extra[++i]); }
        }
        return [.. args];
    }

    [Fact]
    public void Sigint_during_the_first_epoch_says_that_nothing_was_saved()
    {
        using var data = IdxTestFiles.Stripes(3000, 50);
        string output = Path.Combine(data.Directory, "out", "model.onnx");
        // Thousands of epochs, so that the run is still going when a test reader starved by a loaded machine sees
        // the first line (50 epochs once finished before the signal arrived).
        using var run = CliRunner.Start(Train(data.Directory, output, 5000));
        Assert.True(run.WaitForOutput("training from epoch 1 of 5000"), run.Stdout);
        run.Signal(PosixSignal.SIGINT);
        var r = run.Wait();

        Assert.Equal(130, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);
        // The message must be true whichever point the signal reached.
        if (r.Stdout.Contains("epoch   1/5000"))
            Assert.Contains("continue with the same command plus --resume", r.Stderr);
        else
        {
            Assert.Contains("no epoch had finished, so nothing was saved; rerun the command to start again", r.Stderr);
            Assert.False(File.Exists(TrainWorkflow.CheckpointPath(output)));
        }
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Sigterm_keeps_the_finished_epochs_refuses_every_differing_resume_and_resumes_to_the_uninterrupted_model()
    {
        using var data = IdxTestFiles.Stripes(1500, 100);
        string straight = Path.Combine(data.Directory, "a", "model.onnx"), resumed = Path.Combine(data.Directory, "b", "model.onnx");
        var plain = CliRunner.Run(Train(data.Directory, straight, 3));
        Assert.True(plain.ExitCode == 0, plain.Stderr);

        using (var run = CliRunner.Start(Train(data.Directory, resumed, 3)))
        {
            Assert.True(run.WaitForOutput("epoch   1/3"), run.Stdout);
            run.Signal(PosixSignal.SIGTERM);
            var r = run.Wait();
            Assert.True(r.ExitCode == 143, $"exit {r.ExitCode}: {r.Stdout}\n{r.Stderr}");
            Assert.Matches(new Regex(@"Interrupted: epochs 1 to [12] of 3 are saved in '.*model\.onnx\.checkpoint'; continue with the same command plus --resume\."), r.Stderr);
        }
        string checkpoint = TrainWorkflow.CheckpointPath(resumed);
        Assert.True(File.Exists(checkpoint));
        Assert.False(File.Exists(resumed));
        var files = BadInputCorpusTests.Snapshot(Path.GetDirectoryName(resumed)!);

        // Without --resume an earlier run's checkpoint is not silently restarted or replaced.
        CliAssert.CleanError(CliRunner.Run(Train(data.Directory, resumed, 3)), "holds the checkpoint of an earlier training run; continue it with --resume, or pass --force");
        // Every option that changes the result must be the checkpoint's.
        foreach (var (extra, named) in new (string[], string)[]
        {
            (["--schedule", "step"], "--schedule cosine, this run has --schedule step"),
            (["--weight-decay", "0"], "--weight-decay 5E-05, this run has --weight-decay 0"),
            (["--no-augment"], "augmentation (--no-augment) crop (pad 2) + flip, this run has augmentation (--no-augment) none"),
            (["--lr", "0.1"], "--lr 0.05"),
            (["--batch-size", "64"], "--batch-size 32, this run has --batch-size 64"),
            (["--optimizer", "adam"], "--optimizer sgd"),
            (["--seed", "1"], "--seed 0, this run has --seed 1"),
            (["--width", "0.5"], "--width 0.25, this run has --width 0.5"),
        })
            CliAssert.CleanError(CliRunner.Run(Train(data.Directory, resumed, 3, ["--resume", .. extra])), named);
        CliAssert.CleanError(CliRunner.Run(Train(data.Directory, resumed, 4, "--resume")), "--epochs 3, this run has --epochs 4");
        CliAssert.CleanError(CliRunner.Run(Train(data.Directory, resumed, 3, "--resume", "--threads", "2")), "--threads 1, this run has --threads 2");
        Assert.Equal(files, BadInputCorpusTests.Snapshot(Path.GetDirectoryName(resumed)!));

        // A truncated optimizer state (a copy of the checkpoint beside another output) is refused, not a crash.
        string damaged = Path.Combine(data.Directory, "c", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(damaged)!);
        File.Copy(checkpoint, TrainWorkflow.CheckpointPath(damaged));
        var optimizer = File.ReadAllBytes(resumed + ".checkpoint.optimizer");
        File.WriteAllBytes(damaged + ".checkpoint.optimizer", optimizer[..(optimizer.Length / 2)]);
        CliAssert.CleanError(CliRunner.Run(Train(data.Directory, damaged, 3, "--resume")), "does not match the model checkpoint (truncated or from another run)");

        var done = CliRunner.Run(Train(data.Directory, resumed, 3, "--resume"));
        Assert.True(done.ExitCode == 0, done.Stderr);
        Assert.False(File.Exists(checkpoint));
        var (a, b) = (ModelFile.Load(straight), ModelFile.Load(resumed));
        foreach (var (name, t) in a.Parameters)
            Assert.Equal(t.Span.ToArray(), b.Parameter(name).Span.ToArray());
    }

    [Fact]
    public void Finetune_interrupted_after_an_epoch_refuses_a_differing_resume_and_then_finishes()
    {
        using var data = IdxTestFiles.Stripes(5300, 100);
        string model = Path.Combine(data.Directory, "model.onnx"), output = Path.Combine(data.Directory, "ft", "model.onnx");
        File.Copy(TestFolders.Repo("tests/MixBit.Tests/Fixtures/reference_cnn.onnx"), model);
        string[] Finetune(params string[] extra) =>
        [
            "finetune", "-m", model, "--data", data.Directory, "--epochs", "3", "--train-count", "1500", "--batch-size", "32",
            "--threads", "1", "-o", output, .. extra.Length > 0 && extra[0] == "--w-bits" ? extra : ["--w-bits", "8", "--a-bits", "8", .. extra],
        ];

        using (var run = CliRunner.Start(Finetune()))
        {
            Assert.True(run.WaitForOutput("epoch   1/3"), run.Stdout);
            run.Signal(PosixSignal.SIGINT);
            var r = run.Wait();
            Assert.True(r.ExitCode == 130, $"exit {r.ExitCode}: {r.Stdout}\n{r.Stderr}");
            Assert.Matches(new Regex(@"Interrupted: epochs 1 to [12] of 3 are saved in .*; continue with the same command plus --resume\."), r.Stderr);
        }
        CliAssert.CleanError(CliRunner.Run(Finetune("--resume", "--lr", "0.01")), "--lr 0.005, this run has --lr 0.01");
        CliAssert.CleanError(CliRunner.Run(Finetune("--w-bits", "4", "--a-bits", "8", "--resume")), "bit policy (--policy, --w-bits, --a-bits) w8/a8 x 10");
        CliAssert.CleanError(CliRunner.Run(Finetune()), "holds the checkpoint of an earlier fine-tuning run");

        var done = CliRunner.Run(Finetune("--resume"));
        Assert.True(done.ExitCode == 0, done.Stderr);
        Assert.True(File.Exists(output) && File.Exists(FinetuneWorkflow.PolicyPath(output)));
        Assert.False(File.Exists(FinetuneWorkflow.CheckpointPath(output)));
    }
}
