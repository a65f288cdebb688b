namespace MixBit.Tests;

/// <summary>Folders of the source tree (found above the test binaries) and scratch folders that clean up.</summary>
internal static class TestFolders
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MixBit.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("MixBit.slnx not found above " + AppContext.BaseDirectory);
    });

    /// <summary>A path in the repository, e.g. "tests/MixBit.Tests/Fixtures".</summary>
    public static string Repo(string relative) => Path.Combine(Root.Value, relative);

    /// <summary>A new empty folder under the temp folder, deleted on dispose.</summary>
    public sealed class Scratch : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mixbit-test-" + Guid.NewGuid().ToString("N"));

        public Scratch() => Directory.CreateDirectory(Path);

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
