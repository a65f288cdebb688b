using Microsoft.ML.OnnxRuntime;
using MixBit.Models.Onnx;

namespace MixBit.Cli;

/// <summary>ONNX Runtime, the reference, running a QDQ export for `mixbit run`'s qdq.json.</summary>
public static class OnnxRuntimeQdq
{
    public static float[] Run(byte[] model, byte[] pixelsNchw, int images, int[] channelsHeightWidth)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(pixelsNchw, [images, channelsHeightWidth[0], channelsHeightWidth[1], channelsHeightWidth[2]]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [QdqExporter.InputName], [value], [QdqExporter.OutputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
