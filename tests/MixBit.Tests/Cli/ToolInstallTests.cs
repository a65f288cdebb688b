namespace MixBit.Tests.Cli;

/// <summary>`dotnet pack` makes a .NET tool package that `dotnet tool install` installs as `mixbit` (README, "The mixbit command").</summary>
public class ToolInstallTests
{
    [Fact, Trait("Category", "Slow")]
    public void Packed_tool_installs_into_a_tool_path_and_runs_as_mixbit()
    {
        using var scratch = new TestFolders.Scratch();
        string packages = scratch.File("packages"), tools = scratch.File("tools");
        Dotnet("pack", TestFolders.Repo("src/MixBit.Cli"), "-c", "Release", "-o", packages);
        Assert.Single(Directory.GetFiles(packages, "MixBit.Cli.*.nupkg"));
        Dotnet("tool", "install", "--tool-path", tools, "--add-source", packages, "MixBit.Cli");

        var version = Run(Path.Combine(tools, "mixbit"), "--version");
        Assert.Equal(CliRunner.Run("--version").Stdout.Trim(), version.Trim());
        Assert.Contains("mixbit [command] [options]", Run(Path.Combine(tools, "mixbit"), "--help"));
    }

    private static void Dotnet(params string[] args) => ProcessRun.Checked("dotnet", 600_000, args);

    private static string Run(string program, params string[] args) => ProcessRun.Checked(program, 60_000, args);
}
