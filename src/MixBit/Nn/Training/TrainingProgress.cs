namespace MixBit.Nn.Training;

/// <summary>A progress report: after every few batches (<see cref="EpochDone"/> false) and at the end of each epoch.</summary>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int BatchesPerEpoch, float Loss, float Accuracy, double ImagesPerSecond,
    TimeSpan Elapsed, TimeSpan Remaining, bool EpochDone, float? ValidationAccuracy = null, float LearningRate = 0);
