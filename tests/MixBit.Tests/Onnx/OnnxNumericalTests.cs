using Google.Protobuf;
using MixBit.Models.Architectures;
using MixBit.Models.Onnx;
using Xunit.Abstractions;

namespace MixBit.Tests.Onnx;

/// <summary>MixBit's float engine against ONNX Runtime and against PyTorch's saved outputs: max abs diff &lt;= 1e-4.</summary>
public class OnnxNumericalTests(ITestOutputHelper log)
{
    private const float Tolerance = 1e-4f;
    private const float MinSpread = 100 * Tolerance;

    [Theory]
    [InlineData("mobilenet_v1")]
    [InlineData("mobilenet_v2")]
    [InlineData("reference_cnn")]
    public void Exported_architecture_gives_the_same_outputs_in_onnx_runtime(string architecture)
    {
        var model = OnnxFixtures.RandomModel(ArchitectureRegistry.Build(architecture, new ArchitectureOptions(0.25, 28, 1, 10)), seed: 21, calibrate: true);
        int[] shape = [4, 1, 28, 28];
        var input = OnnxFixtures.RandomInput(4 * 28 * 28, seed: 5);
        var (ort, _) = OrtReference.Run(OnnxExporter.Export(model).ToByteArray(), input, shape);
        var mixbit = MixBitReference.Run(model, input, shape);
        float diff = OnnxFixtures.MaxAbsDiff(ort, mixbit);
        float spread = OnnxFixtures.InputSpread(ort, 4);
        log.WriteLine($"{architecture}: max |MixBit - ORT| = {diff:E2}, max |output| = {ort.Max(Math.Abs):F3}, spread over inputs {spread:F3}");
        Assert.True(diff <= Tolerance, $"max abs diff {diff}");
        Assert.True(spread > MinSpread, $"outputs barely depend on the input (spread {spread})");
    }

    [Fact]
    public void Exported_model_with_every_layer_kind_gives_the_same_outputs_in_onnx_runtime()
    {
        var model = OnnxFixtures.RandomModel(OnnxRoundTripTests.AllLayersGraph(), seed: 4, calibrate: true);
        int[] shape = [3, 2, 13, 11];
        var input = OnnxFixtures.RandomInput(3 * 2 * 13 * 11, seed: 8);
        var (ort, _) = OrtReference.Run(OnnxExporter.Export(model).ToByteArray(), input, shape);
        float diff = OnnxFixtures.MaxAbsDiff(ort, MixBitReference.Run(model, input, shape));
        float spread = OnnxFixtures.InputSpread(ort, 3);
        log.WriteLine($"all layers: max |MixBit - ORT| = {diff:E2}, spread over inputs {spread:F3}");
        Assert.True(diff <= Tolerance, $"max abs diff {diff}");
        Assert.True(spread > MinSpread, $"outputs barely depend on the input (spread {spread})");
    }

    /// <summary>The PyTorch-exported fixtures: MixBit vs ORT on random inputs, and vs PyTorch's own saved outputs.</summary>
    [Theory]
    [InlineData("reference_cnn")]
    [InlineData("mobilenet_v2_small")]
    [InlineData("mobilenet_v2_small_folded")]
    [InlineData("tiny_pool")]
    public void Imported_pytorch_model_gives_onnx_runtime_and_pytorch_outputs(string fixture)
    {
        var bytes = OnnxFixtures.Onnx(fixture);
        var model = OnnxImporter.Import(bytes, fixture);

        int[] randomShape = [3, 1, 28, 28];
        var random = OnnxFixtures.RandomInput(3 * 28 * 28, seed: 9);
        var (ort, _) = OrtReference.Run(bytes, random, randomShape);
        float vsOrt = OnnxFixtures.MaxAbsDiff(ort, MixBitReference.Run(model, random, randomShape));

        var (input, inputShape, torch, _) = OnnxFixtures.Reference(fixture);
        float vsTorch = OnnxFixtures.MaxAbsDiff(torch, MixBitReference.Run(model, input, inputShape));
        float ortVsTorch = OnnxFixtures.MaxAbsDiff(torch, OrtReference.Run(bytes, input, inputShape).Output);
        float spread = OnnxFixtures.InputSpread(torch, inputShape[0]);
        log.WriteLine($"{fixture}: max |MixBit - ORT| = {vsOrt:E2}, |MixBit - PyTorch| = {vsTorch:E2}, |ORT - PyTorch| = {ortVsTorch:E2}, spread {spread:F3}");
        Assert.True(vsOrt <= Tolerance, $"vs ORT {vsOrt}");
        Assert.True(vsTorch <= Tolerance, $"vs PyTorch {vsTorch}");
        Assert.True(spread > MinSpread, $"outputs barely depend on the input (spread {spread})");
    }
}
