using System.Diagnostics;
using MixBit.Data;
using MixBit.Nn.Optim;

namespace MixBit.Nn.Training;

/// <summary>The loss or the parameters became NaN or infinite: the run stops before it saves such a state.</summary>
public sealed class TrainingDivergedException(string message) : MixBitException(message);

/// <summary>Result of one epoch.</summary>
public sealed record EpochResult(int Epoch, float TrainLoss, float TrainAccuracy, float? ValidationAccuracy, double ImagesPerSecond, TimeSpan Duration);

/// <summary>
/// Mini-batch training of a <see cref="Network"/>: forward, loss (softmax cross-entropy unless <see cref="Loss"/> says
/// otherwise), backward, optimizer step, learning rate from the schedule every step. Deterministic for a seed (data
/// order, augmentation, dropout). Quantization-aware training is this loop with hooks (BN freezing, clip bounds).
/// </summary>
public sealed class Trainer(Network network, TrainingOptions options)
{
    private Optimizer? _optimizer;

    public Network Network => network;

    /// <summary>The optimizer (created on first use), e.g. to checkpoint or restore its state.</summary>
    public Optimizer Optimizer => _optimizer ??= CreateOptimizer();
    public TrainingOptions Options => options;

    /// <summary>Called after every epoch (e.g. to write a checkpoint); gets the epoch index just finished.</summary>
    public Action<int, EpochResult>? EpochCompleted { get; set; }

    /// <summary>The loss; default softmax cross-entropy with the options' label smoothing.</summary>
    public ITrainingLoss? Loss { get; init; }

    /// <summary>Called before each step with the global step index (0-based over the whole run).</summary>
    public Action<int>? BeforeStep { get; init; }

    /// <summary>Called after each optimizer step (e.g. to keep parameters inside their bounds).</summary>
    public Action? AfterStep { get; init; }

    /// <summary>Word used in messages ("Training", "Fine-tuning").</summary>
    public string Activity { get; init; } = "Training";

    /// <summary>Trains epochs [startEpoch, options.Epochs); <paramref name="startEpoch"/> &gt; 0 resumes a run.</summary>
    public IReadOnlyList<EpochResult> Train(ImageDataset train, ImageDataset? validation, Normalization normalization,
        IProgress<TrainingProgress>? progress = null, int startEpoch = 0, CancellationToken cancel = default)
    {
        options.Validate();
        if (train.Count == 0) throw new MixBitException("The training set is empty.");
        var batches = new BatchIterator(train, normalization,
            new BatchOptions(options.BatchSize, Shuffle: true, DropLast: train.Count >= options.BatchSize, options.Seed, options.Augmentation));
        var images = batches.CreateImageTensor();
        var labels = batches.CreateLabelBuffer();
        var loss = Loss ?? new CrossEntropyTrainingLoss(options.LabelSmoothing);
        var optimizer = Optimizer;
        var schedule = LearningRateSchedule.Parse(options.Schedule, options.LearningRate, batches.BatchesPerEpoch, options.WarmupSteps);
        int totalSteps = options.Epochs * batches.BatchesPerEpoch;
        var results = new List<EpochResult>();
        var runClock = Stopwatch.StartNew();
        int stepsDone = 0, stepsToDo = (options.Epochs - startEpoch) * batches.BatchesPerEpoch;
        // The start, so a view can say where the run begins (e.g. after --resume).
        progress?.Report(new(startEpoch, options.Epochs, 0, batches.BatchesPerEpoch, 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero, false));

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
                int step = epoch * batches.BatchesPerEpoch + batch;
                BeforeStep?.Invoke(step);
                optimizer.LearningRate = schedule.At(step, totalSteps);
                var logits = network.Forward(images, training: true);
                var (l, c) = loss.Compute(logits, images, labels.AsSpan(0, n));
                if (!float.IsFinite(l))
                    throw new TrainingDivergedException($"{Activity} diverged (loss {l}) at epoch {epoch + 1}, batch {batch + 1}: lower --lr.");
                network.ZeroGradients();
                network.Backward(loss.Gradient);
                optimizer.Step();
                AfterStep?.Invoke();
                lossSum += l * n; correct += c; seen += n; batch++; stepsDone++;
                if (progress is not null && (batch % 20 == 0))
                {
                    var elapsed = runClock.Elapsed;
                    progress.Report(new(epoch, options.Epochs, batch, batches.BatchesPerEpoch, (float)(lossSum / seen), (float)correct / seen,
                        seen / epochClock.Elapsed.TotalSeconds, elapsed, elapsed * ((double)(stepsToDo - stepsDone) / stepsDone), false,
                        LearningRate: optimizer.LearningRate));
                }
            }
            // The last step can turn weights non-finite while its loss was finite: never checkpoint such weights.
            if (network.Parameters.FirstOrDefault(p => !TensorPrimitives.IsFiniteAll<float>(p.Value.Span)) is { } bad)
                throw new TrainingDivergedException($"{Activity} diverged (parameter '{bad.Name}' is no longer finite) at the end of epoch {epoch + 1}: lower --lr.");
            float? valAcc = validation is { Count: > 0 } ? Evaluator.Evaluate(network, validation, normalization, cancel: cancel).Accuracy : null;
            var result = new EpochResult(epoch, (float)(lossSum / seen), (float)correct / seen, valAcc, seen / epochClock.Elapsed.TotalSeconds, epochClock.Elapsed);
            results.Add(result);
            EpochCompleted?.Invoke(epoch, result);
            if (progress is not null)
            {
                var elapsed = runClock.Elapsed;
                progress.Report(new(epoch, options.Epochs, batch, batches.BatchesPerEpoch, result.TrainLoss, result.TrainAccuracy,
                    result.ImagesPerSecond, elapsed, elapsed * ((double)(stepsToDo - stepsDone) / Math.Max(1, stepsDone)), true, valAcc, optimizer.LearningRate));
            }
        }
        return results;
    }

    private Optimizer CreateOptimizer() => options.Optimizer == "adam"
        ? new Adam(network.Parameters, weightDecay: options.WeightDecay)
        : new Sgd(network.Parameters, options.Momentum, options.WeightDecay, nesterov: true);
}
