using System.Reflection;

namespace MixBit.Tests.Cli;

/// <summary>The command behaves as the tools its users know: its own name in help, exit 2 for an unknown command, --version.</summary>
public class CliConventionTests
{
    [Fact]
    public void Help_and_usage_name_the_command_mixbit()
    {
        var root = CliRunner.Run("--help");
        Assert.Equal(0, root.ExitCode);
        Assert.Contains("mixbit [command] [options]", root.Stdout);
        Assert.DoesNotContain("MixBit.Cli", root.Stdout);
        var verb = CliRunner.Run("report", "--help");
        Assert.Equal(0, verb.ExitCode);
        Assert.Contains("mixbit report <run-dir> [options]", verb.Stdout);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("frobnicate", "--help")]
    [InlineData("Train", "--epochs", "1")]
    public void Unknown_command_fails_with_exit_code_2_and_one_line(params string[] args)
    {
        var r = CliRunner.Run(args);
        CliAssert.CleanError(r, $"'{args[0]}' is not a mixbit command");
        Assert.Contains("train, eval", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Version_prints_the_informational_version()
    {
        string expected = typeof(MixBit.Cli.CliErrors).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Matches(@"^\d+\.\d+\.\d+", expected);
        var r = CliRunner.Run("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(expected, r.Stdout.Trim());
    }
}
