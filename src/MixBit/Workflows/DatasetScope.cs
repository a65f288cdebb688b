using MixBit.Nn.Graph;

namespace MixBit.Workflows;

/// <summary>
/// While a scope is open (on this flow of execution), <see cref="DatasetSource.Load"/> hands every stage the splits an
/// earlier stage already loaded, instead of reading (and, for an image folder, decoding) the files again: `mixbit run`
/// opens one for all its stages. Data sets are immutable, so sharing them is safe; outside a scope nothing is kept.
/// </summary>
public sealed class DatasetScope : IDisposable
{
    private static readonly AsyncLocal<DatasetScope?> Current = new();
    private readonly DatasetScope? _outer;
    private readonly Dictionary<string, DatasetSplits> _loaded = [];

    private DatasetScope(DatasetScope? outer) => _outer = outer;

    /// <summary>Opens a scope; dispose it to let the data sets go.</summary>
    public static DatasetScope Begin()
    {
        var scope = new DatasetScope(Current.Value);
        Current.Value = scope;
        return scope;
    }

    /// <summary>How many distinct loads this scope has kept (a test reads it).</summary>
    public int LoadedCount => _loaded.Count;

    /// <summary>The splits for <paramref name="source"/> as <paramref name="model"/> sees them, from the open scope if one has them.</summary>
    internal static DatasetSplits GetOrLoad(DatasetSource source, ModelGraph? model, IReadOnlyDictionary<string, string>? metadata, Func<DatasetSplits> load)
    {
        if (Current.Value is not { } scope) return load();
        // An image folder's tensors depend on the model's input shape and class order; Fashion-MNIST's do not.
        string key = string.Join("|", source.Location, source.ValidationCount, source.SplitSeed, source.IsImageFolder,
            source.IsImageFolder ? model?.InputShape.ToString() : "", source.IsImageFolder ? model?.OutputShape.ToString() : "",
            source.IsImageFolder && metadata is not null ? string.Join(",", ModelMetadata.ReadClassNames(metadata) ?? []) : "");
        lock (scope._loaded)
        {
            if (!scope._loaded.TryGetValue(key, out var splits))
                scope._loaded[key] = splits = load();
            return splits;
        }
    }

    public void Dispose()
    {
        if (Current.Value == this) Current.Value = _outer;
        _loaded.Clear();
    }
}
