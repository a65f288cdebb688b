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

    public void Validate()
    {
        if (Epochs <= 0) throw new MixBitException($"--epochs must be positive, got {Epochs}.");
        if (BatchSize <= 0 || BatchSize > 4096) throw new MixBitException($"--batch-size must be in 1..4096, got {BatchSize}.");
        if (!(LearningRate > 0)) throw new MixBitException($"--lr must be positive, got {LearningRate}.");
        if (Optimizer is not ("sgd" or "adam")) throw new MixBitException($"Unknown optimizer '{Optimizer}': use sgd or adam.");
        if (WeightDecay < 0) throw new MixBitException("--weight-decay must be non-negative.");
    }
}
