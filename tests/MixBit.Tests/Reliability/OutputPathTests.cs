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
}
