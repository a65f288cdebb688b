namespace MixBit;

/// <summary>
/// Writes a file so that readers see the old or the new content, never a half-written one. A path that cannot be
/// written is a <see cref="MixBitException"/> naming the path the user gave (never the hidden temporary file).
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = CheckPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            using (var stream = File.Create(temp)) write(stream);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(path, folder, e, temp);
        }
        finally
        {
            try { if (File.Exists(temp)) File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    public static void WriteAllText(string path, string text) => Write(path, s => { using var w = new StreamWriter(s); w.Write(text); });

    /// <summary>
    /// Fails now, with the reason, when <paramref name="path"/> could not be written later: a long command calls this
    /// before it starts working, so that a bad output path is not found out after an hour of training.
    /// </summary>
    public static void EnsureWritable(string path)
    {
        string full = CheckPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        // Probe the nearest folder that exists, with a file (or, where folders are still to be made, a folder), and
        // remove the probe: the check leaves nothing behind, not even an empty output folder.
        string existing = folder;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent) existing = parent;
        string probe = Path.Combine(existing, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.probe");
        try
        {
            if (existing == folder) { using (File.Create(probe)) { } File.Delete(probe); }
            else { Directory.CreateDirectory(probe); Directory.Delete(probe); }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(path, existing, e, probe);
        }
    }

    /// <summary>The full path; a folder in its place or a file in place of one of its folders is a clear error.</summary>
    private static string CheckPath(string path)
    {
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new MixBitException($"Cannot write '{path}': it is not a valid file path ({e.Message.TrimEnd('.')}).");
        }
        if (Directory.Exists(full))
            throw new MixBitException($"Cannot write '{path}': it is a folder; give a file name, e.g. '{Path.Combine(path, "out")}'.");
        for (string? dir = Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(dir))
                throw new MixBitException($"Cannot write '{path}': '{dir}' is a file, not a folder; choose an output path in a folder.");
        return full;
    }

    private static string OsReason(string message)
    {
        int cut = message.IndexOf(" : '", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }

    private static MixBitException CannotWrite(string path, string folder, Exception e, string hidden)
    {
        string reason = e switch
        {
            UnauthorizedAccessException => $"permission denied in the folder '{folder}'",
            FileNotFoundException or DirectoryNotFoundException => Directory.Exists(folder)
                ? $"the folder '{folder}' does not accept new files" : $"the folder '{folder}' cannot be created",
            // The OS reason ("Read-only file system : '/x/.out.123.tmp'", no space left, ...) without the hidden file's name.
            _ => $"{OsReason(e.Message.Replace(hidden, path))} (folder '{folder}')",
        };
        return new MixBitException($"Cannot write '{path}': {reason}; choose an output path in a writable folder.");
    }
}
