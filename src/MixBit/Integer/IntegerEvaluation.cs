using System.Diagnostics;
using MixBit.Data;
using MixBit.Quantization;
using MixBit.Tensors;

namespace MixBit.Integer;

/// <summary>The integer model's output codes on a dataset, its accuracy and its speed.</summary>
public sealed record IntegerPredictions(int[] OutputCodes, int Classes, float Accuracy, double ImagesPerSecond)
{
    public int Count => OutputCodes.Length / Classes;

    /// <summary>Top-1 class of image <paramref name="i"/> (the first of equal codes).</summary>
    public int Predicted(int i) => TensorPrimitives.IndexOfMax<int>(OutputCodes.AsSpan(i * Classes, Classes));
}

/// <summary>How closely the integer model follows the fake-quant network it came from, on the same images.</summary>
/// <param name="MaxLogitDifference">Largest |integer logit code - fake-quant logit code| over all images and classes (LSB).</param>
/// <param name="FakeQuantPredicted">The fake-quant network's top-1 class per image (to compare other runtimes with).</param>
public sealed record IntegerFidelity(int Images, float IntegerAccuracy, float FakeQuantAccuracy, float Agreement, int MaxLogitDifference,
    double IntegerImagesPerSecond, int[] FakeQuantPredicted)
{
    public float AccuracyDifferencePoints => 100 * (IntegerAccuracy - FakeQuantAccuracy);
}

public static class IntegerEvaluation
{
    /// <summary>Runs <paramref name="engine"/> on every image of <paramref name="data"/> (all workers).</summary>
    public static IntegerPredictions Run(IntegerEngine engine, ImageDataset data)
    {
        var input = engine.Model.Input;
        if (data.Channels != input.Channels || data.Height != input.Height || data.Width != input.Width)
            throw new MixBitException($"The integer model takes {input.Channels}x{input.Height}x{input.Width} images, the data is {data.Channels}x{data.Height}x{data.Width}.");
        var pixels = ImagePixels.Nhwc(data);
        int classes = engine.OutputElements;
        var codes = new int[data.Count * classes];
        var clock = Stopwatch.StartNew();
        engine.Run(pixels, data.Count, codes);
        double seconds = clock.Elapsed.TotalSeconds;
        var p = new IntegerPredictions(codes, classes, 0, data.Count / seconds);
        int correct = 0;
        for (int i = 0; i < data.Count; i++) if (p.Predicted(i) == data.Label(i)) correct++;
        return p with { Accuracy = (float)correct / data.Count };
    }

    /// <summary>
    /// The integer model of <paramref name="network"/> against the network itself on <paramref name="data"/>: both
    /// accuracies, top-1 agreement and the largest logit difference in output LSBs (fake-quant logit / scale, rounded).
    /// </summary>
    public static IntegerFidelity Compare(FakeQuantNetwork network, IntegerEngine engine, ImageDataset data, Normalization normalization, int batchSize = 256)
    {
        var integer = Run(engine, data);
        var output = engine.Model.Output;
        var logits = FakeQuantLogits(network, data, normalization, batchSize);
        int classes = integer.Classes, agree = 0, fakeCorrect = 0, maxDifference = 0;
        var fakePredicted = new int[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            int predicted = fakePredicted[i] = TensorPrimitives.IndexOfMax(row);
            if (predicted == data.Label(i)) fakeCorrect++;
            if (predicted == integer.Predicted(i)) agree++;
            for (int k = 0; k < classes; k++)
            {
                int code = (int)Math.Round(row[k] / output.Scale) + output.ZeroPoint;
                maxDifference = Math.Max(maxDifference, Math.Abs(code - integer.OutputCodes[i * classes + k]));
            }
        }
        return new IntegerFidelity(data.Count, integer.Accuracy, (float)fakeCorrect / data.Count, (float)agree / data.Count, maxDifference,
            integer.ImagesPerSecond, fakePredicted);
    }

    /// <summary>The fake-quant network's logits [images, classes] on <paramref name="data"/>.</summary>
    public static float[] FakeQuantLogits(FakeQuantNetwork network, ImageDataset data, Normalization normalization, int batchSize = 256)
    {
        int classes = network.Model.Graph.OutputShape.Elements, offset = 0, n;
        var logits = new float[data.Count * classes];
        var it = new BatchIterator(data, normalization, BatchOptions.Evaluation(batchSize));
        var x = it.CreateImageTensor();
        var labels = it.CreateLabelBuffer();
        while ((n = it.Next(x, labels)) > 0)
        {
            network.Network.Forward(x, training: false).Span[..(n * classes)].CopyTo(logits.AsSpan(offset * classes));
            offset += n;
        }
        return logits;
    }
}
