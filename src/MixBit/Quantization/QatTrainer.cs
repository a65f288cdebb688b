using MixBit.Data;
using MixBit.Nn;
using MixBit.Nn.Optim;
using MixBit.Nn.Training;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>
/// Quantization-aware fine-tuning of a calibrated <see cref="FakeQuantNetwork"/>: the ordinary <see cref="Trainer"/> loop
/// over the fake-quantized network, so weights (through the STE), BatchNorm affine parameters and PACT clip values
/// train with SGD or Adam on a cosine schedule. The loss is cross-entropy, or cross-entropy plus distillation from the
/// float <c>teacher</c>. BatchNorm statistics freeze after <see cref="QatOptions.FreezeBatchNormAfter"/> steps; clip
/// values are kept positive after every step. Validation accuracy is that of the fake-quantized network.
/// </summary>
public sealed class QatTrainer
{
    private readonly Trainer _trainer;

    public QatTrainer(FakeQuantNetwork network, QatOptions options, Network? teacher = null)
    {
        options.Validate();
        if (options.Distill && teacher is null) throw new ArgumentException("Distillation needs the float teacher network.");
        _trainer = new Trainer(network.Network, options.ToTrainingOptions())
        {
            Loss = options.Distill ? new Distillation(teacher!, new DistillationLoss(options.Temperature, options.DistillWeight)) : null,
            BeforeStep = step => network.FreezeBatchNormStatistics(step >= options.FreezeBatchNormAfter),
            // Re-assigning clamps a clip value that the step pushed to or below zero (PACT needs alpha > 0).
            AfterStep = () => { foreach (var q in network.ActivationQuantizers) q.Alpha = q.Alpha; },
            Activity = "Fine-tuning",
        };
    }

    public Optimizer Optimizer => _trainer.Optimizer;

    /// <summary>Called after every epoch (checkpoints) with the epoch index just finished.</summary>
    public Action<int, EpochResult>? EpochCompleted
    {
        get => _trainer.EpochCompleted;
        set => _trainer.EpochCompleted = value;
    }

    public IReadOnlyList<EpochResult> Train(ImageDataset train, ImageDataset? validation, Normalization normalization,
        IProgress<TrainingProgress>? progress = null, int startEpoch = 0, CancellationToken cancel = default)
        => _trainer.Train(train, validation, normalization, progress, startEpoch, cancel);

    /// <summary>Distillation from the float teacher's predictions on the same batch.</summary>
    private sealed class Distillation(Network teacher, DistillationLoss loss) : ITrainingLoss
    {
        public Tensor Gradient => loss.Gradient;

        public (float Loss, int Correct) Compute(Tensor logits, Tensor images, ReadOnlySpan<int> labels)
            => loss.Compute(logits, teacher.Forward(images, training: false), labels);
    }
}
