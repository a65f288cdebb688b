using System.Diagnostics;
using MixBit.Data;
using MixBit.Nn;
using MixBit.Nn.Optim;
using MixBit.Nn.Training;

namespace MixBit.Quantization;

/// <summary>
/// Quantization-aware fine-tuning of a calibrated <see cref="FakeQuantNetwork"/>: weights (through the STE), BatchNorm
/// affine parameters and PACT clip values are trained with SGD or Adam on a cosine schedule; the loss is cross-entropy,
/// or cross-entropy plus distillation from the float <paramref name="teacher"/>. BatchNorm statistics freeze after
/// <see cref="QatOptions.FreezeBatchNormAfter"/> steps. Validation accuracy is that of the fake-quantized network.
/// </summary>
public sealed class QatTrainer(FakeQuantNetwork network, QatOptions options, Network? teacher = null)
{
    private Optimizer? _optimizer;

    public Optimizer Optimizer => _optimizer ??= options.Optimizer == "adam"
        ? new Adam(network.Network.Parameters, weightDecay: options.WeightDecay)
        : new Sgd(network.Network.Parameters, options.Momentum, options.WeightDecay, nesterov: true);

    /// <summary>Called after every epoch (checkpoints) with the epoch index just finished.</summary>
    public Action<int, EpochResult>? EpochCompleted { get; set; }

    public IReadOnlyList<EpochResult> Train(ImageDataset train, ImageDataset? validation, Normalization normalization,
        IProgress<TrainingProgress>? progress = null, int startEpoch = 0, CancellationToken cancel = default)
    {
        options.Validate();
        if (options.Distill && teacher is null) throw new ArgumentException("Distillation needs the float teacher network.");
        if (train.Count == 0) throw new MixBitException("The training set is empty.");
        var batches = new BatchIterator(train, normalization,
            new BatchOptions(options.BatchSize, Shuffle: true, DropLast: train.Count >= options.BatchSize, options.Seed, options.Augmentation));
        var images = batches.CreateImageTensor();
        var labels = batches.CreateLabelBuffer();
        var hard = new SoftmaxCrossEntropy();
        var soft = new DistillationLoss(options.Temperature, options.DistillWeight);
        var optimizer = Optimizer;
        var schedule = new CosineSchedule(options.LearningRate);
        int perEpoch = batches.BatchesPerEpoch, totalSteps = options.Epochs * perEpoch;
        int stepsToDo = (options.Epochs - startEpoch) * perEpoch, stepsDone = 0;
        var results = new List<EpochResult>();
        var runClock = Stopwatch.StartNew();

        for (int epoch = startEpoch; epoch < options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            batches.StartEpoch(epoch);
            double lossSum = 0;
            long correct = 0, seen = 0;
            int n, batch = 0;
            while ((n = batches.Next(images, labels)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                int step = epoch * perEpoch + batch;
                network.FreezeBatchNormStatistics(step >= options.FreezeBatchNormAfter);
                optimizer.LearningRate = schedule.At(step, totalSteps);
                var logits = network.Network.Forward(images, training: true);
                float l; int c;
                MixBit.Tensors.Tensor gradient;
                if (options.Distill)
                {
                    var teacherLogits = teacher!.Forward(images, training: false);
                    (l, c) = soft.Compute(logits, teacherLogits, labels.AsSpan(0, n));
                    gradient = soft.Gradient;
                }
                else
                {
                    (l, c) = hard.Compute(logits, labels.AsSpan(0, n));
                    gradient = hard.Gradient;
                }
                if (!float.IsFinite(l))
                    throw new MixBitException($"Fine-tuning diverged (loss {l}) at epoch {epoch + 1}, batch {batch + 1}: lower --lr.");
                network.Network.ZeroGradients();
                network.Network.Backward(gradient);
                optimizer.Step();
                // A clip value must stay positive (PACT).
                foreach (var q in network.ActivationQuantizers) q.Alpha = q.Alpha;
                lossSum += l * n; correct += c; seen += n; batch++; stepsDone++;
                if (progress is not null && batch % 20 == 0)
                {
                    var elapsed = runClock.Elapsed;
                    progress.Report(new(epoch, options.Epochs, batch, perEpoch, (float)(lossSum / seen), (float)correct / seen,
                        seen / epochClock.Elapsed.TotalSeconds, elapsed, elapsed * ((double)(stepsToDo - stepsDone) / stepsDone), false,
                        LearningRate: optimizer.LearningRate));
                }
            }
            float? valAcc = validation is { Count: > 0 } ? Evaluator.Evaluate(network.Network, validation, normalization, cancel: cancel).Accuracy : null;
            var result = new EpochResult(epoch, (float)(lossSum / seen), (float)correct / seen, valAcc, seen / epochClock.Elapsed.TotalSeconds, epochClock.Elapsed);
            results.Add(result);
            EpochCompleted?.Invoke(epoch, result);
            if (progress is not null)
            {
                var elapsed = runClock.Elapsed;
                progress.Report(new(epoch, options.Epochs, batch, perEpoch, result.TrainLoss, result.TrainAccuracy, result.ImagesPerSecond,
                    elapsed, elapsed * ((double)(stepsToDo - stepsDone) / Math.Max(1, stepsDone)), true, valAcc, optimizer.LearningRate));
            }
        }
        return results;
    }
}
