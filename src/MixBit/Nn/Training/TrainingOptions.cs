using MixBit.Data;

namespace MixBit.Nn.Training;

/// <summary>Hyper-parameters of a training run. Defaults train the default model on Fashion-MNIST.</summary>
public sealed record TrainingOptions
{
    public int Epochs { get; init; } = 15;
    public int BatchSize { get; init; } = 64;
    /// <summary>"sgd" (momentum 0.9, Nesterov) or "adam".</summary>
    public string Optimizer { get; init; } = "sgd";
    public float LearningRate { get; init; } = 0.05f;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; } = 5e-5f;
    /// <summary>"cosine", "step" or "constant".</summary>
    public string Schedule { get; init; } = "cosine";
    public int WarmupSteps { get; init; } = 200;
    public float LabelSmoothing { get; init; } = 0.05f;
    public int Seed { get; init; } = 0;
    public Augmentation Augmentation { get; init; } = new(PadPixels: 2, HorizontalFlip: true);

    public const int MaxEpochs = 10_000;
    public const int MaxBatchSize = 4096;

    public static void ValidateBatchSize(int batchSize)
    {
        if (batchSize is <= 0 or > MaxBatchSize) throw new MixBitException($"--batch-size must be in 1..{MaxBatchSize}, got {batchSize}.");
    }

    public void Validate()
    {
        if (Epochs <= 0) throw new MixBitException($"--epochs must be positive, got {Epochs}.");
        // Steps are counted in int: epochs x batches per epoch must not overflow.
        if (Epochs > MaxEpochs) throw new MixBitException($"--epochs must be at most {MaxEpochs}, got {Epochs}.");
        ValidateBatchSize(BatchSize);
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new MixBitException($"--lr must be a positive number, got {LearningRate}.");
        _ = Optim.LearningRateSchedule.Parse(Schedule, LearningRate, 1); // an unknown name fails before any work
        if (Optimizer is not ("sgd" or "adam")) throw new MixBitException($"Unknown optimizer '{Optimizer}': use sgd or adam.");
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay)) throw new MixBitException($"--weight-decay must be a non-negative number, got {WeightDecay}.");
        if (!(Momentum >= 0 && Momentum < 1)) throw new MixBitException($"The momentum must be in [0, 1), got {Momentum}.");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new MixBitException($"The label smoothing must be in [0, 1), got {LabelSmoothing}.");
        if (WarmupSteps < 0) throw new MixBitException($"The warm-up steps must be non-negative, got {WarmupSteps}.");
    }
}
