using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using MixBit.Integer;
using MixBit.Models.Onnx;
using MixBit.Quantization;

namespace MixBit.Tests.Integer;

public class QdqExportTests
{
    /// <summary>Runs the QDQ model in ONNX Runtime on raw NCHW pixels; returns the float logits.</summary>
    internal static float[] RunOrt(byte[] model, byte[] pixelsNchw, int images, int[] imageShape, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = level };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(pixelsNchw, [images, imageShape[0], imageShape[1], imageShape[2]]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [QdqExporter.InputName], [value], [QdqExporter.OutputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// ONNX Runtime runs the QDQ export of random models and policies (INT4, INT8 and UINT8 weights, clipped 2- and 4-bit
    /// activations, kept and folded BatchNorm, pools, Adds, flattened maps) and, with or without its graph optimisations
    /// (its fused integer kernels), gives exactly the integer engine's logit codes.
    /// </summary>
    [Fact]
    public void Onnx_runtime_on_the_qdq_export_gives_the_integer_engine_logits()
    {
        var rng = new Random(31);
        const int images = 16;
        for (int trial = 0; trial < 12; trial++)
        {
            var graph = IntegerTestModels.Random(rng, trial);
            var policy = IntegerTestModels.RandomPolicy(graph, rng);
            var c = IntegerTestModels.Calibrated(graph, policy, new QuantizationOptions { BatchNorm = trial % 2 == 0 ? BatchNormMode.Keep : BatchNormMode.Fold }, trial);
            var model = c.Quantized;
            var codes = new int[images * model.Output.Elements];
            new IntegerEngine(model).Run(ImagePixels.Nhwc(c.Images, images), images, codes);
            byte[] qdq = QdqExporter.Export(model).ToByteArray();
            foreach (var level in new[] { GraphOptimizationLevel.ORT_DISABLE_ALL, GraphOptimizationLevel.ORT_ENABLE_ALL })
            {
                var logits = RunOrt(qdq, c.Images.Pixels[..(images * c.Images.SampleSize)].ToArray(), images,
                    [graph.InputShape.Channels, graph.InputShape.Height, graph.InputShape.Width], level);
                Assert.Equal(codes, logits.Select(v => (int)Math.Round(v / model.Output.Scale)));
            }
        }
    }
}
