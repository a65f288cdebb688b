namespace MixBit.Tests.Cli;

/// <summary>Bad input gives one clear line and a non-zero exit code, never a stack trace.</summary>
public class CliErrorTests
{
    private static void AssertCleanError((int ExitCode, string Stdout, string Stderr) r, string expected, int exitCode = 2)
        => CliAssert.CleanError(r, expected, exitCode);

    [Fact]
    public void Missing_dataset_names_the_package_to_install()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mixbit-no-data-" + Guid.NewGuid().ToString("N"));
        AssertCleanError(CliRunner.Run("train", "--data", dir, "--epochs", "1", "-o", Path.Combine(dir, "m.onnx")), "dataset-fashion-mnist");
        Assert.False(File.Exists(Path.Combine(dir, "m.onnx")));
    }

    [Fact]
    public void Missing_model_file_is_reported_with_its_path()
    {
        AssertCleanError(CliRunner.Run("eval", "/nonexistent/model.onnx"), "/nonexistent/model.onnx");
    }

    [Fact]
    public void Unknown_architecture_lists_the_valid_ones()
    {
        AssertCleanError(CliRunner.Run("train", "--arch", "resnet9000", "--epochs", "1", "-o", Path.Combine(Path.GetTempPath(), "x.onnx")), "mobilenet_v2");
    }

    [Fact]
    public void Bad_flag_value_fails_with_usage_error()
    {
        var r = CliRunner.Run("train", "--epochs", "many");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("many", r.Stdout + r.Stderr);
        Assert.DoesNotContain("   at ", r.Stdout + r.Stderr);
    }

    [Fact]
    public void Nonpositive_epochs_is_rejected_before_any_work()
    {
        AssertCleanError(CliRunner.Run("train", "--epochs", "0", "-o", Path.Combine(Path.GetTempPath(), "y.onnx")), "--epochs must be positive");
    }

    [Fact]
    public void Corrupt_model_file_is_reported()
    {
        string path = Path.Combine(Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, [0x08, 0x07, 0x12, 0xff, 0xff, 0x01]);
        try { AssertCleanError(CliRunner.Run("eval", path), "not a valid ONNX model"); }
        finally { File.Delete(path); }
    }
}
