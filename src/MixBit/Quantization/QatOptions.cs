using MixBit.Data;
using MixBit.Nn.Training;

namespace MixBit.Quantization;

/// <summary>Hyper-parameters of quantization-aware fine-tuning.</summary>
public sealed record QatOptions
{
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 64;
    /// <summary>"sgd" (momentum 0.9, Nesterov) or "adam".</summary>
    public string Optimizer { get; init; } = "sgd";
    /// <summary>Peak rate of a cosine schedule (fine-tuning: about a tenth of training's).</summary>
    public float LearningRate { get; init; } = 0.005f;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; } = 5e-5f;
    /// <summary>BatchNorm statistics follow the batches for this many steps, then are frozen (Jacob et al. 2018).</summary>
    public int FreezeBatchNormAfter { get; init; } = 200;
    /// <summary>Distil from the float model (Hinton et al. 2015) with this temperature and weight of the soft term.</summary>
    public bool Distill { get; init; }
    public float Temperature { get; init; } = 4f;
    public float DistillWeight { get; init; } = 0.5f;
    /// <summary>Training images per epoch: a seeded subset of the training split (0 = all), to keep runs short.</summary>
    public int TrainCount { get; init; }
    public int Seed { get; init; }
    public Augmentation Augmentation { get; init; } = new(PadPixels: 2, HorizontalFlip: true);

    /// <summary>The loop's options: cosine schedule without warm-up, no label smoothing.</summary>
    public TrainingOptions ToTrainingOptions() => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, Optimizer = Optimizer, LearningRate = LearningRate, Momentum = Momentum,
        WeightDecay = WeightDecay, Schedule = "cosine", WarmupSteps = 0, LabelSmoothing = 0f, Seed = Seed, Augmentation = Augmentation,
    };

    public void Validate()
    {
        ToTrainingOptions().Validate();
        if (FreezeBatchNormAfter < 0) throw new MixBitException("--freeze-bn-after must be non-negative.");
        if (!(Temperature > 0) || !float.IsFinite(Temperature)) throw new MixBitException($"--temperature must be a positive number, got {Temperature}.");
        if (DistillWeight is < 0 or > 1) throw new MixBitException($"The distillation weight must be in [0, 1], got {DistillWeight}.");
        if (TrainCount < 0) throw new MixBitException("--train-count must be non-negative.");
    }
}
