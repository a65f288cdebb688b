using MixBit.Data;
using MixBit.Tensors;

namespace MixBit.Nn.Training;

/// <summary>Accuracy, mean loss and throughput of a network on a dataset.</summary>
public sealed record EvaluationResult(float Accuracy, float Loss, int Samples, double ImagesPerSecond);

public static class Evaluator
{
    public static EvaluationResult Evaluate(Network network, ImageDataset data, Normalization normalization, int batchSize = 256,
        CancellationToken cancel = default)
    {
        if (data.Count == 0) throw new MixBitException("Cannot evaluate on an empty dataset.");
        var batches = new BatchIterator(data, normalization, BatchOptions.Evaluation(batchSize));
        var images = batches.CreateImageTensor();
        var labels = batches.CreateLabelBuffer();
        var loss = new SoftmaxCrossEntropy();
        double lossSum = 0;
        long correct = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        batches.StartEpoch(0);
        int n;
        while ((n = batches.Next(images, labels)) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            var logits = network.Forward(images, training: false);
            var (l, c) = loss.Compute(logits, labels.AsSpan(0, n));
            lossSum += l * n;
            correct += c;
        }
        return new((float)correct / data.Count, (float)(lossSum / data.Count), data.Count, data.Count / clock.Elapsed.TotalSeconds);
    }
}
