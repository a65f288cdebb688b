using Microsoft.ML.OnnxRuntime;

namespace MixBit.Tests.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime 1.31.1, the reference runtime.</summary>
internal static class OrtReference
{
    public static (float[] Output, long[] Shape) Run(byte[] model, float[] input, int[] inputShape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        string inputName = session.InputNames.Single();
        using var value = OrtValue.CreateTensorValueFromMemory(input, inputShape.Select(d => (long)d).ToArray());
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], session.OutputNames);
        var output = results[0];
        return (output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }
}
