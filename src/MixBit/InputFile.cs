namespace MixBit;

/// <summary>Checks and reads an input file the user named, with errors that say what is wrong with the path.</summary>
public static class InputFile
{
    /// <summary>Throws unless <paramref name="path"/> is an existing file (a folder or a missing path is a clear error).</summary>
    /// <param name="what">What the file is, capitalised ("Model file").</param>
    /// <param name="expected">What to give instead of a folder ("the .onnx file").</param>
    public static void Check(string path, string what, string expected)
    {
        if (Directory.Exists(path))
            throw new MixBitException($"{what} '{path}' is a folder, not a file; give the {expected} itself.");
        if (!File.Exists(path))
            throw new MixBitException($"{what} '{path}' does not exist; check the path.");
    }

    public static byte[] ReadAllBytes(string path, string what) => Read(path, what, File.ReadAllBytes);

    public static string ReadAllText(string path, string what) => Read(path, what, File.ReadAllText);

    private static T Read<T>(string path, string what, Func<string, T> read)
    {
        try { return read(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MixBitException($"{what} '{path}' cannot be read ({e.Message.TrimEnd('.')}); check the file and its permissions.");
        }
    }
}
