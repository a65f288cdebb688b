using MixBit.Memory;
using MixBit.Search.Ddpg;

namespace MixBit.Workflows;

/// <summary>
/// What `mixbit run` does: a model (an ONNX file, a built-in architecture trained on the data, or the repository's
/// trained default), data, a device, and the settings of each stage. Everything here is stored in run.json; a re-run
/// must give the same settings to resume.
/// </summary>
public sealed record RunRequest
{
    public required string OutDirectory { get; init; }
    public required MemoryBudget Budget { get; init; }
    /// <summary>A trained float model (ONNX); null: the built-in default model, or <see cref="Architecture"/> trained on the data.</summary>
    public string? ModelPath { get; init; }
    /// <summary>A built-in architecture to train first (the default when the data is not Fashion-MNIST and no model is given).</summary>
    public string? Architecture { get; init; }
    public double Width { get; init; } = 0.25;
    public int TrainEpochs { get; init; } = 15;
    public string? DataDirectory { get; init; }
    public int ValidationCount { get; init; } = 5000;
    public string Strategy { get; init; } = "ddpg";
    public int Episodes { get; init; } = 300;
    public int EvaluationImages { get; init; } = 2000;
    public int FinetuneEpochs { get; init; } = 2;
    /// <summary>Training images of the QAT fine-tune (0 = the whole training split).</summary>
    public int FinetuneImages { get; init; }
    public int Seed { get; init; }
    public bool Quick { get; init; }

    /// <summary>The short form CI runs: a short search, one epoch of QAT on a subset, fewer evaluation images.</summary>
    public static RunRequest QuickForm(RunRequest r) => r with
    {
        Episodes = Math.Min(r.Episodes, 16), EvaluationImages = Math.Min(r.EvaluationImages, 500), FinetuneEpochs = Math.Min(r.FinetuneEpochs, 1),
        FinetuneImages = r.FinetuneImages is > 0 and < 3000 ? r.FinetuneImages : 3000, TrainEpochs = Math.Min(r.TrainEpochs, 2), Quick = true,
    };

    /// <summary>HAQ's agent settings, with the warm-up shortened to a third of a short search so that the agent acts at all.</summary>
    public DdpgOptions Ddpg
    {
        get
        {
            var haq = new DdpgOptions();
            return Episodes < 3 * haq.WarmupEpisodes ? haq with { WarmupEpisodes = Math.Max(1, Episodes / 3) } : haq;
        }
    }

    public void Validate()
    {
        if (ModelPath is not null && Architecture is not null) throw new MixBitException("Give either --model or --arch, not both.");
        if (Episodes < 1) throw new MixBitException($"--episodes must be at least 1, got {Episodes}.");
        if (FinetuneEpochs < 0) throw new MixBitException($"--finetune-epochs must be 0 (no QAT) or more, got {FinetuneEpochs}.");
        if (FinetuneImages < 0) throw new MixBitException($"--finetune-images must be 0 (all) or positive, got {FinetuneImages}.");
        if (EvaluationImages < 1) throw new MixBitException($"--eval-images must be at least 1, got {EvaluationImages}.");
        if (TrainEpochs < 1) throw new MixBitException($"--train-epochs must be at least 1, got {TrainEpochs}.");
    }
}
