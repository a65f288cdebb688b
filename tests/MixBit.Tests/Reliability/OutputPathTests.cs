using MixBit.Workflows;

namespace MixBit.Tests.Reliability;

/// <summary>Writes name the user's path (never the hidden temporary file) and fail before any work when they would fail later.</summary>
public class OutputPathTests
{
    [Fact]
    public void Unwritable_paths_are_named_with_the_reason()
    {
        using var work = new TestFolders.Scratch();
        File.WriteAllText(work.File("file.txt"), "x");
        Directory.CreateDirectory(work.File("folder"));
        string underFile = Path.Combine(work.File("file.txt"), "p.json");

        var e = Assert.Throws<MixBitException>(() => AtomicFile.WriteAllText(underFile, "{}"));
        Assert.Equal($"Cannot write '{underFile}': '{work.File("file.txt")}' is a file, not a folder; choose an output path in a folder.", e.Message);
        e = Assert.Throws<MixBitException>(() => AtomicFile.EnsureWritable(work.File("folder")));
        Assert.Contains("it is a folder; give a file name", e.Message);
        // As root, permission bits do not stop a write; /proc refuses new files for everyone.
        e = Assert.Throws<MixBitException>(() => AtomicFile.WriteAllText("/proc/mixbit-test.json", "{}"));
        Assert.StartsWith("Cannot write '/proc/mixbit-test.json': ", e.Message);
        Assert.DoesNotContain(".tmp", e.Message);
        Assert.Throws<MixBitException>(() => AtomicFile.EnsureWritable("/proc/mixbit/model.onnx"));
        Assert.Equal(["file.txt", "folder"], Directory.GetFileSystemEntries(work.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void An_output_that_is_an_input_is_refused_unless_forced()
    {
        using var work = new TestFolders.Scratch();
        string model = work.File("model.onnx");
        File.WriteAllText(model, "x");
        var e = Assert.Throws<MixBitException>(() => RunOutputs.Check([Path.Combine(work.Path, ".", "model.onnx")], [(model, "--model")], force: false));
        Assert.Contains($"is the --model input '{model}'", e.Message);
        RunOutputs.Check([model], [(model, "--model")], force: true);
        RunOutputs.Check([work.File("other.onnx")], [(model, "--model")], force: false);
        Assert.Equal("x", File.ReadAllText(model));
    }

    /// <summary>
    /// A read-only bind mount (root ignores permission bits, so this is the real test of a read-only folder). Needs
    /// the right to mount; where it is missing (not root, a restricted container) there is nothing to test here.
    /// </summary>
    [Fact]
    public void A_read_only_folder_is_named_before_training_starts()
    {
        using var source = new TestFolders.Scratch();
        using var mountPoint = new TestFolders.Scratch();
        if (!Sh($"mount --bind {source.Path} {mountPoint.Path}")) return;
        try
        {
            if (!Sh($"mount -o remount,bind,ro {mountPoint.Path}")) return;
            string output = Path.Combine(mountPoint.Path, "model.onnx");
            var r = Cli.CliRunner.Run("train", "--data", "/nonexistent-data-folder", "-o", output);
            // The output is checked before the data: the message is the folder's, not the missing data set's.
            Cli.CliAssert.CleanError(r, $"Cannot write '{output}': Read-only file system (folder '{mountPoint.Path}'); choose an output path in a writable folder.");
        }
        finally { Sh($"umount {mountPoint.Path}"); }
    }

    private static bool Sh(string command)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("sh", ["-c", command + " 2>/dev/null"]);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }
}
