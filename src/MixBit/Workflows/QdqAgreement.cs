using MixBit.Data;
using MixBit.Integer;
using MixBit.Models.Onnx;
using Google.Protobuf;
using MixBit.Reporting;

namespace MixBit.Workflows;

/// <summary>
/// Runs a QDQ ONNX model on raw NCHW uint8 pixels (images x channels x height x width) and returns its float logits.
/// ONNX Runtime is the reference; the library does not depend on it, the command line passes it in.
/// </summary>
public delegate float[] QdqRunner(byte[] model, byte[] pixelsNchw, int images, int[] channelsHeightWidth);

/// <summary>Top-1 agreement of the QDQ export, run by <see cref="QdqRunner"/>, with the integer engine, on test images.</summary>
public static class QdqAgreement
{
    public static QdqFacts Measure(QuantizedModel model, ImageDataset test, int images, QdqRunner runner)
    {
        int n = Math.Min(images, test.Count);
        if (n == 0) throw new MixBitException("The data set has no test images to check the QDQ model on.");
        var engine = new IntegerEngine(model);
        int classes = engine.OutputElements;
        var codes = new int[n * classes];
        engine.Run(ImagePixels.Nhwc(test, n), n, codes);
        var logits = runner(QdqExporter.Export(model).ToByteArray(), test.Pixels[..(n * test.SampleSize)].ToArray(), n,
            [test.Channels, test.Height, test.Width]);
        int same = 0;
        for (int i = 0; i < n; i++)
            same += ArgMax(codes.AsSpan(i * classes, classes)) == ArgMax(logits.AsSpan(i * classes, classes)) ? 1 : 0;
        return new QdqFacts((double)same / n, n);
    }

    private static int ArgMax<T>(ReadOnlySpan<T> values) where T : IComparable<T>
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++) if (values[k].CompareTo(values[best]) > 0) best = k;
        return best;
    }
}
