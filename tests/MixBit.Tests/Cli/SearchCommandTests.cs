using MixBit.Memory;
using MixBit.Models;
using MixBit.Quantization;
using MixBit.Workflows;

namespace MixBit.Tests.Cli;

/// <summary>`mixbit search` as a user runs it: a PyTorch-exported model on Fashion-MNIST, a budget 8-bit does not fit.</summary>
public class SearchCommandTests : IDisposable
{
    private static readonly string Model = MixBit.Tests.Onnx.OnnxFixtures.PathOf("reference_cnn.onnx");
    private readonly string _dir = Directory.CreateTempSubdirectory("mixbit-search-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("ddpg")]
    [InlineData("exact")]
    public void Search_writes_a_policy_that_fits_and_a_log(string strategy)
    {
        string outDir = Path.Combine(_dir, strategy);
        var r = CliRunner.Run("search", "--model", Model, "--flash", "14kB", "--ram", "8kB", "--strategy", strategy, "--episodes", "4",
            "--warmup", "2", "--eval-images", "200", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("accuracy", r.Stdout);
        var graph = ModelFile.Load(Model).Graph;
        var policy = BitPolicy.Read(Path.Combine(outDir, SearchWorkflow.PolicyFile), graph);
        Assert.True(DeploymentPlan.Build(graph).Price(policy).Fits(new MemoryBudget(14 * 1024, 8 * 1024)));
        Assert.NotEmpty(File.ReadAllLines(Path.Combine(outDir, SearchWorkflow.LogFile)));
        Assert.True(File.Exists(Path.Combine(outDir, SearchWorkflow.SummaryFile)));

        // Run again into the same folder: refused without --resume, and nothing is changed.
        var log = File.ReadAllText(Path.Combine(outDir, SearchWorkflow.LogFile));
        var again = CliRunner.Run("search", "--model", Model, "--flash", "14kB", "--ram", "8kB", "--strategy", strategy, "--episodes", "4",
            "--warmup", "2", "--eval-images", "200", "--out", outDir);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--resume", again.Stderr + again.Stdout);
        Assert.Equal(log, File.ReadAllText(Path.Combine(outDir, SearchWorkflow.LogFile)));
    }

    [Theory]
    [InlineData("--flash 1kB --ram 8kB", "cannot fit")]
    [InlineData("--flash 14kB --ram 8kB --strategy annealing", "Unknown search strategy")]
    [InlineData("--flash 14kB --ram 8kB --episodes 0", "--episodes must be at least 1")]
    [InlineData("--flash 14kB", "No device given")]
    public void Bad_search_input_gets_one_clear_error(string args, string expected)
    {
        string outDir = Path.Combine(_dir, "bad");
        var r = CliRunner.Run(["search", "--model", Model, "--out", outDir, .. args.Split(' ')]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stdout + r.Stderr);
        Assert.DoesNotContain("   at ", r.Stdout + r.Stderr);
    }
}
