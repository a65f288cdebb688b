using System.Globalization;
using MixBit.Models;
using MixBit.Nn;
using MixBit.Nn.Optim;

namespace MixBit.Workflows;

/// <summary>
/// The checkpoint of a training or fine-tuning run, beside its output: OUT.checkpoint (the model, its metadata, the last
/// finished epoch and the run's options) and OUT.checkpoint.optimizer (the optimizer state), both written atomically
/// after every epoch, so an interrupted run continues with --resume exactly where it stopped.
/// </summary>
public sealed class RunCheckpoint(string outputPath, string optionsKey, string optionsJson, string activity)
{
    public static string PathFor(string outputPath) => outputPath + ".checkpoint";

    public string ModelPath => PathFor(outputPath);
    private string OptimizerPath => outputPath + ".checkpoint.optimizer";

    /// <summary>
    /// When <paramref name="resume"/> is set, the checkpoint to continue from (its model, metadata and the next epoch);
    /// otherwise null. A missing checkpoint or one made with other options is a clear error.
    /// </summary>
    public (Model Model, Dictionary<string, string> Metadata, int NextEpoch)? Open(bool resume)
    {
        if (!resume) return null;
        if (!File.Exists(ModelPath))
            throw new MixBitException($"No checkpoint at '{ModelPath}' to resume; run without --resume to start a new {activity} run.");
        var (model, meta) = ModelFile.LoadWithMetadata(ModelPath);
        if (!meta.TryGetValue(optionsKey, out var saved) || saved != optionsJson)
            throw new MixBitException($"The checkpoint '{ModelPath}' was made with other options; rerun with the same flags, or without --resume.");
        return (model, new Dictionary<string, string>(meta), int.Parse(meta[ModelMetadata.Epoch], CultureInfo.InvariantCulture) + 1);
    }

    public void RestoreOptimizer(Optimizer optimizer)
    {
        using var reader = new BinaryReader(File.OpenRead(OptimizerPath));
        optimizer.ReadState(reader);
    }

    /// <summary>Records <paramref name="epoch"/> as finished: the optimizer state, then the model with its metadata.</summary>
    public void Save(Model model, IDictionary<string, string> metadata, int epoch, Optimizer optimizer)
    {
        metadata[optionsKey] = optionsJson;
        metadata[ModelMetadata.Epoch] = epoch.ToString(CultureInfo.InvariantCulture);
        AtomicFile.Write(OptimizerPath, s => { using var w = new BinaryWriter(s); optimizer.WriteState(w); });
        ModelFile.Save(model, ModelPath, new Dictionary<string, string>(metadata));
        metadata.Remove(ModelMetadata.Epoch);
    }

    /// <summary>Removes the checkpoint once the final output is written.</summary>
    public void Delete()
    {
        File.Delete(ModelPath);
        File.Delete(OptimizerPath);
    }
}
