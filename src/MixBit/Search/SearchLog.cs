using System.Text;
using System.Text.Json;

namespace MixBit.Search;

/// <summary>
/// The JSON-lines log of a search: one <see cref="SearchRecord"/> per line, appended and flushed per record, so an
/// interrupted run (kill -9 included) loses at most the evaluation in flight. Opening an existing log for a resumed run
/// reads its records; a torn last line (the process died mid-write) is dropped with a warning and cut from the file.
/// </summary>
public sealed class SearchLog : IDisposable
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly FileStream _stream;

    private SearchLog(FileStream stream, IReadOnlyList<SearchRecord> restored) => (_stream, Restored) = (stream, restored);

    /// <summary>Records found in the file when it was opened (empty for a new log).</summary>
    public IReadOnlyList<SearchRecord> Restored { get; }

    public string Path => _stream.Name;

    /// <summary>Opens <paramref name="path"/> for appending; with <paramref name="resume"/> its records are read first, otherwise it must not exist.</summary>
    public static SearchLog Open(string path, bool resume, Action<string>? warn = null)
    {
        var restored = new List<SearchRecord>();
        long goodLength = 0;
        if (File.Exists(path))
        {
            if (!resume) throw new MixBitException($"The search log '{path}' already exists; pass --resume to continue that search, or choose another --out folder.");
            var bytes = File.ReadAllBytes(path);
            int start = 0;
            while (start < bytes.Length)
            {
                int end = Array.IndexOf(bytes, (byte)'\n', start);
                if (end < 0) { warn?.Invoke($"The last line of '{path}' was cut off (the run was interrupted while writing it); it is dropped and re-evaluated."); break; }
                var line = Encoding.UTF8.GetString(bytes, start, end - start);
                SearchRecord? record;
                try { record = JsonSerializer.Deserialize<SearchRecord>(line, Json); }
                catch (JsonException) { record = null; }
                if (record is null || record.Index != restored.Count)
                {
                    bool last = end == bytes.Length - 1;
                    if (!last) throw new MixBitException($"Line {restored.Count + 1} of the search log '{path}' is not a valid record; the log is damaged: start a new search with another --out folder.");
                    warn?.Invoke($"The last line of '{path}' is damaged; it is dropped and re-evaluated.");
                    break;
                }
                restored.Add(record);
                start = end + 1;
                goodLength = start;
            }
        }
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        stream.SetLength(goodLength);
        stream.Seek(goodLength, SeekOrigin.Begin);
        return new SearchLog(stream, restored);
    }

    /// <summary>Reads every complete record of a log (for reports); a torn last line is ignored.</summary>
    public static IReadOnlyList<SearchRecord> ReadAll(string path)
    {
        var records = new List<SearchRecord>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            try { if (JsonSerializer.Deserialize<SearchRecord>(line, Json) is { } r) records.Add(r); }
            catch (JsonException) { break; }
        }
        return records;
    }

    public void Append(SearchRecord record)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(record, Json);
        _stream.Write(line);
        _stream.WriteByte((byte)'\n');
        _stream.Flush();
    }

    public void Dispose() => _stream.Dispose();
}
