using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MixBit.Memory;
using MixBit.Models;
using MixBit.Quantization;
using MixBit.Search;
using MixBit.Workflows;

namespace MixBit.Reporting;

/// <summary>
/// Reads a run folder for the report. A missing file is a stage that has not run; a file that is there but is not
/// what its stage writes (bad JSON, a required field missing) is an error naming the file.
/// </summary>
public static class RunFolderReader
{
    /// <summary>The JSON conventions of every stage file: camelCase, enums as camelCase strings; required fields enforced.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static RunResults Read(string folder)
    {
        if (File.Exists(folder)) throw new MixBitException($"'{folder}' is a file; give the run folder that `mixbit run --out` wrote.");
        if (!Directory.Exists(folder)) throw new MixBitException($"The run folder '{folder}' does not exist; give the folder that `mixbit run --out` wrote.");
        string Path(string relative) => System.IO.Path.Combine(folder, relative);
        string search = Path(RunFolderLayout.SearchFolder);

        var analysis = ReadJson<MemoryReport>(Path(RunFolderLayout.Analysis));
        var summary = ReadJson<SearchSummary>(System.IO.Path.Combine(search, SearchWorkflow.SummaryFile));
        var results = new RunResults(
            folder,
            ReadJson<RunSettings>(Path(RunFolderLayout.Settings)),
            ReadJson<FloatModelFacts>(Path(RunFolderLayout.FloatFacts)),
            analysis,
            summary,
            ReadSearchLog(System.IO.Path.Combine(search, SearchWorkflow.LogFile)),
            ReadJson<SearchSummary>(System.IO.Path.Combine(Path(RunFolderLayout.RuleBaselineFolder), SearchWorkflow.SummaryFile)),
            ReadJson<SearchSummary>(System.IO.Path.Combine(Path(RunFolderLayout.UniformBaselineFolder), SearchWorkflow.SummaryFile)),
            ReadJson<FinetuneFacts>(Path(RunFolderLayout.FinetuneFacts)),
            ReadJson<IntegerModelFacts>(Path(RunFolderLayout.IntegerFacts)),
            ReadJson<QdqFacts>(Path(RunFolderLayout.QdqFacts)),
            ReadJson<CCheckFacts>(Path(RunFolderLayout.CCheck)),
            SearchedMemory: null);
        if (results.IsEmpty)
            throw new MixBitException($"'{folder}' holds no stage of a MixBit run (no {RunFolderLayout.Settings}, {RunFolderLayout.FloatFacts}, {RunFolderLayout.Analysis}, ...); give the folder that `mixbit run --out` wrote.");
        return results with { SearchedMemory = SearchedMemory(Path(RunFolderLayout.FloatModel), summary) };
    }

    /// <summary>The file's content, or null when the file does not exist.</summary>
    public static T? ReadJson<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<T>(ReadText(path), Json) ?? throw new JsonException("it holds null"); }
        catch (JsonException e) { throw Corrupt(path, e.Message); }
    }

    /// <summary>
    /// The search log's records. A torn last line (the search was interrupted while writing it) is left out, as the
    /// search itself does on resume; a bad line before the last is a damaged log.
    /// </summary>
    public static IReadOnlyList<SearchRecord> ReadSearchLog(string path)
    {
        if (!File.Exists(path)) return [];
        var lines = ReadText(path).Split('\n');
        var records = new List<SearchRecord>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            try { records.Add(JsonSerializer.Deserialize<SearchRecord>(lines[i], SearchLog.Json) ?? throw new JsonException("the line holds null")); }
            catch (JsonException e)
            {
                bool last = lines.Skip(i + 1).All(l => l.Trim().Length == 0);
                if (last) break;
                throw Corrupt(path, $"line {i + 1}: {e.Message}");
            }
        }
        return records;
    }

    private static MemoryReport? SearchedMemory(string modelPath, SearchSummary? summary)
    {
        if (summary is null || !File.Exists(modelPath)) return null;
        var graph = ModelFile.Load(modelPath).Graph;
        var budget = new MemoryBudget(summary.FlashBudgetBytes, summary.RamBudgetBytes, summary.FlashReserveBytes, summary.RamReserveBytes, summary.Device);
        var policy = BitPolicy.Create(graph, summary.Policy.Select(l => KeyValuePair.Create(l.Name, new LayerBits(l.WeightBits, l.ActivationBits))));
        return MemoryAnalyzer.Analyze(graph, budget, policy, "searched");
    }

    private static string ReadText(string path)
    {
        try { return File.ReadAllText(path, Encoding.UTF8); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MixBitException($"'{path}' could not be read ({e.Message}); check the file and its permissions.");
        }
    }

    private static MixBitException Corrupt(string path, string reason)
        => new($"'{path}' is not what its stage writes ({reason.ReplaceLineEndings(" ")}); re-run that stage, or delete the file and resume the run.");
}
