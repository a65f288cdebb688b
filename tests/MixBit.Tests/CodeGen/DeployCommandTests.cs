using MixBit.Tests.Cli;

namespace MixBit.Tests.CodeGen;

/// <summary>`mixbit deploy`: bad input is one clear line on stderr and exit code 2; nothing is left behind.</summary>
public class DeployCommandTests
{
    [Fact]
    public void Missing_model_file_is_reported_and_no_folder_is_written()
    {
        using var dir = new TestFolders.Scratch();
        var r = CliRunner.Run("deploy", "--model", "/nonexistent/model.mbq", "--out", dir.File("c"));
        CliAssert.CleanError(r, "/nonexistent/model.mbq");
        Assert.False(Directory.Exists(dir.File("c")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Unknown_board_is_reported()
    {
        using var dir = new TestFolders.Scratch();
        CliAssert.CleanError(CliRunner.Run("deploy", "--model", "/nonexistent/model.mbq", "--out", dir.File("c"), "--board", "esp32"), "Unknown board 'esp32'");
        Assert.False(Directory.Exists(dir.File("c")));
    }
}
