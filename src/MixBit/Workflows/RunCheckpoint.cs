using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using MixBit.Models;
using MixBit.Nn;
using MixBit.Nn.Optim;
using MixBit.Nn.Training;

namespace MixBit.Workflows;

/// <summary>
/// The checkpoint of a training or fine-tuning run, beside its output: OUT.checkpoint (the model, its metadata, the last
/// finished epoch and the run's options) and OUT.checkpoint.optimizer (the optimizer state), both written atomically
/// after every epoch, so an interrupted run continues with --resume exactly where it stopped.
/// <para>
/// The run's options are stored per command-line option (every option that changes the result), so a resume with a
/// different one is refused naming it. The model checkpoint records the SHA-256 of its optimizer state, so a truncated
/// or mismatched optimizer file is detected; the optimizer state is first written as OUT.checkpoint.optimizer.next and
/// renamed after the model, so a kill between the two writes leaves a matching pair on disk.
/// </para>
/// </summary>
public sealed class RunCheckpoint
{
    private const string OptimizerHashKey = "mixbit.checkpoint.optimizer.sha256";

    private readonly string _outputPath, _optionsKey, _optionsJson, _activity;
    private readonly string? _legacyOptionsJson;
    private readonly IReadOnlyDictionary<string, string> _options;
    private byte[]? _optimizerState;

    /// <param name="options">Every option that changes the run's result, by its command-line name, with its value.</param>
    /// <param name="legacyOptionsJson">The options as MixBit versions before the per-option record wrote them, so that a
    /// run checkpointed by such a version still resumes (with a warning that fewer options could be checked).</param>
    public RunCheckpoint(string outputPath, string optionsKey, IReadOnlyDictionary<string, string> options, string activity,
        string? legacyOptionsJson = null)
    {
        (_outputPath, _optionsKey, _options, _activity, _legacyOptionsJson) = (outputPath, optionsKey, options, activity, legacyOptionsJson);
        _optionsJson = JsonSerializer.Serialize(options);
    }

    public static string PathFor(string outputPath) => outputPath + ".checkpoint";

    public string ModelPath => PathFor(_outputPath);
    private string OptimizerPath => _outputPath + ".checkpoint.optimizer";
    private string PendingOptimizerPath => OptimizerPath + ".next";

    /// <summary>The files this checkpoint writes (for checks that outputs do not replace inputs).</summary>
    public IEnumerable<string> Files => FilesFor(_outputPath);

    public static IEnumerable<string> FilesFor(string outputPath)
        => [PathFor(outputPath), outputPath + ".checkpoint.optimizer", outputPath + ".checkpoint.optimizer.next"];

    /// <summary>The run's options as stored in the model file's metadata.</summary>
    public string OptionsJson => _optionsJson;

    /// <summary>The last epoch (0-based) saved in the checkpoint on disk, by this run or the one it resumes; null if none.</summary>
    public int? SavedEpoch { get; private set; }

    /// <summary>
    /// When <paramref name="resume"/> is set, the checkpoint to continue from (its model, metadata and the next epoch);
    /// otherwise null. A missing or damaged checkpoint, or one made with other options, is a clear error. Without
    /// --resume an earlier run's checkpoint is not silently replaced: that needs <paramref name="force"/>.
    /// </summary>
    public (Model Model, Dictionary<string, string> Metadata, int NextEpoch)? Open(bool resume, bool force = false)
    {
        if (!resume)
        {
            if (File.Exists(ModelPath) && !force)
                throw new MixBitException($"'{ModelPath}' holds the checkpoint of an earlier {_activity} run; continue it with --resume, or pass --force to start over (the checkpoint is replaced).");
            if (force) Delete();
            return null;
        }
        if (!File.Exists(ModelPath))
            throw new MixBitException($"No checkpoint at '{ModelPath}' to resume; run without --resume to start a new {_activity} run.");
        Model model;
        IReadOnlyDictionary<string, string> meta;
        try { (model, meta) = ModelFile.LoadWithMetadata(ModelPath); }
        catch (MixBitException e) { throw Damaged($"it cannot be read: {e.Message.TrimEnd('.')}"); }
        if (!meta.TryGetValue(_optionsKey, out var saved))
            throw Damaged("it records no run options");
        if (saved == _legacyOptionsJson)
            Warnings.Report($"The checkpoint '{ModelPath}' was written by an earlier MixBit version, which recorded only some options; those match, the others ({string.Join(", ", _options.Keys)}) are assumed to be the same.");
        else if (saved != _optionsJson) throw new MixBitException(DescribeMismatch(saved));
        if (!meta.TryGetValue(ModelMetadata.Epoch, out var epochText) || !int.TryParse(epochText, NumberStyles.None, CultureInfo.InvariantCulture, out int epoch))
            throw Damaged("it records no finished epoch");
        _optimizerState = ReadOptimizerState(meta);
        SavedEpoch = epoch;
        return (model, new Dictionary<string, string>(meta), epoch + 1);
    }

    public void RestoreOptimizer(Optimizer optimizer)
    {
        var bytes = _optimizerState ?? throw new InvalidOperationException("Open(resume: true) first.");
        using var reader = new BinaryReader(new MemoryStream(bytes));
        try { optimizer.ReadState(reader); }
        catch (EndOfStreamException) { throw Damaged($"the optimizer state '{OptimizerPath}' is truncated"); }
        if (reader.BaseStream.Position != bytes.Length)
            throw Damaged($"the optimizer state '{OptimizerPath}' is longer than this model's optimizer needs");
    }

    /// <summary>Records <paramref name="epoch"/> as finished: the optimizer state, then the model with its metadata.</summary>
    public void Save(Model model, IDictionary<string, string> metadata, int epoch, Optimizer optimizer)
    {
        var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) optimizer.WriteState(w);
        byte[] state = buffer.ToArray();
        metadata[_optionsKey] = _optionsJson;
        metadata[ModelMetadata.Epoch] = epoch.ToString(CultureInfo.InvariantCulture);
        metadata[OptimizerHashKey] = Convert.ToHexString(SHA256.HashData(state));
        AtomicFile.Write(PendingOptimizerPath, s => s.Write(state));
        ModelFile.Save(model, ModelPath, new Dictionary<string, string>(metadata));
        File.Move(PendingOptimizerPath, OptimizerPath, overwrite: true);
        metadata.Remove(ModelMetadata.Epoch);
        metadata.Remove(OptimizerHashKey);
        SavedEpoch = epoch;
    }

    /// <summary>Removes the checkpoint once the final output is written.</summary>
    public void Delete()
    {
        foreach (var file in Files) File.Delete(file);
        SavedEpoch = null;
    }

    /// <summary>
    /// The error to report when a run stops early: an interruption or a diverged loss gets a message that says truly
    /// what is saved; other exceptions are not rewritten (null).
    /// </summary>
    public Exception? Explain(Exception e, int epochs)
    {
        string saved = SavedEpoch is { } s
            ? $"epochs 1 to {s + 1} of {epochs} are saved in '{ModelPath}'"
            : "no epoch had finished, so nothing was saved";
        return e switch
        {
            OperationCanceledException => new RunInterruptedException(SavedEpoch is null
                ? $"Interrupted: {saved}; rerun the command to start again."
                : $"Interrupted: {saved}; continue with the same command plus --resume."),
            TrainingDivergedException d => new MixBitException(SavedEpoch is null
                ? $"{d.Message.TrimEnd('.')}; {saved}."
                : $"{d.Message.TrimEnd('.')}; the last good checkpoint is kept: {saved}."),
            _ => null,
        };
    }

    private byte[] ReadOptimizerState(IReadOnlyDictionary<string, string> meta)
    {
        if (!meta.TryGetValue(OptimizerHashKey, out var hash))
        {
            // A checkpoint from before the hash was recorded: RestoreOptimizer still detects a truncated file.
            if (!File.Exists(OptimizerPath)) throw Damaged($"the optimizer state '{OptimizerPath}' is missing");
            return File.ReadAllBytes(OptimizerPath);
        }
        foreach (var path in new[] { OptimizerPath, PendingOptimizerPath })
        {
            if (!File.Exists(path)) continue;
            var bytes = File.ReadAllBytes(path);
            if (Convert.ToHexString(SHA256.HashData(bytes)) == hash) return bytes;
        }
        throw Damaged(File.Exists(OptimizerPath)
            ? $"the optimizer state '{OptimizerPath}' does not match the model checkpoint (truncated or from another run)"
            : $"the optimizer state '{OptimizerPath}' is missing");
    }

    private string DescribeMismatch(string savedJson)
    {
        Dictionary<string, string>? saved = null;
        try { saved = JsonSerializer.Deserialize<Dictionary<string, string>>(savedJson); }
        catch (JsonException) { }
        const string Fix = "rerun with the checkpoint's options, or pass --force without --resume to start over";
        if (saved is null)
            return $"The checkpoint '{ModelPath}' was made by another MixBit version with other options; {Fix}.";
        foreach (var (option, value) in _options)
        {
            if (!saved.TryGetValue(option, out var old))
                return $"The checkpoint '{ModelPath}' does not record {option}; {Fix}.";
            if (old != value)
                return $"The checkpoint '{ModelPath}' was made with {option} {old}, this run has {option} {value}; {Fix}.";
        }
        var extra = saved.Keys.First(k => !_options.ContainsKey(k));
        return $"The checkpoint '{ModelPath}' was made with {extra} {saved[extra]}, which this run does not have; {Fix}.";
    }

    private MixBitException Damaged(string what)
        => new($"The checkpoint '{ModelPath}' cannot be resumed: {what}. Start over with --force (without --resume).");
}

/// <summary>A long run stopped by the user (Ctrl+C, SIGTERM); the message says what is saved.</summary>
public sealed class RunInterruptedException(string message) : OperationCanceledException(message);
