using System.Text.Json;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Tests.Onnx;

/// <summary>
/// The committed fixtures of tests/MixBit.Tests/Fixtures (made by scripts/make_onnx_fixtures.py with PyTorch):
/// NAME.onnx, NAME.input.bin / NAME.output.bin (float32 little-endian, PyTorch's own output) and NAME.json (shapes).
/// </summary>
internal static class OnnxFixtures
{
    private static readonly Lazy<string> Folder = new(() => TestFolders.Repo("tests/MixBit.Tests/Fixtures"));

    public static string PathOf(string file) => Path.Combine(Folder.Value, file);

    public static byte[] Onnx(string name) => File.ReadAllBytes(PathOf(name + ".onnx"));

    /// <summary>The saved input batch and PyTorch's output for it, with their shapes.</summary>
    public static (float[] Input, int[] InputShape, float[] Output, int[] OutputShape) Reference(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(PathOf(name + ".json")));
        int[] Shape(string key) => json.RootElement.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (ReadFloats(PathOf(name + ".input.bin")), Shape("input_shape"), ReadFloats(PathOf(name + ".output.bin")), Shape("output_shape"));
    }

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var data = new float[bytes.Length / 4];
        for (int i = 0; i < data.Length; i++) data[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return data;
    }

    /// <summary>Uniform random values in [-1, 1), seeded.</summary>
    public static float[] RandomInput(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>
    /// Freshly initialised parameters with BN far from the identity: random affine terms, biases and (unless
    /// calibrated) running statistics. Calibrated, each BN's running statistics are measured on a random batch
    /// and then perturbed; without that, activations shrink layer after layer and the outputs hardly depend on
    /// the input, which would make a 1e-4 agreement meaningless.
    /// </summary>
    public static Model RandomModel(ModelGraph graph, int seed, bool calibrate = false)
    {
        var model = Model.Initialize(graph, seed);
        var rng = new Random(seed + 1);
        float U(float lo, float hi) => (float)(lo + rng.NextDouble() * (hi - lo));
        foreach (var (name, spec, _) in graph.AllParameters())
        {
            var span = model.Parameter(name).Span;
            (float lo, float hi)? range = spec.Kind switch
            {
                ParameterKind.Scale => (0.5f, 1.5f),
                ParameterKind.Shift or ParameterKind.Bias => (-0.2f, 0.2f),
                ParameterKind.RunningMean => (-0.5f, 0.5f),
                ParameterKind.RunningVariance => (0.5f, 2f),
                _ => null,
            };
            if (range is { } r) for (int i = 0; i < span.Length; i++) span[i] = U(r.lo, r.hi);
        }
        if (!calibrate) return model;

        const int batch = 4;
        var s = graph.InputShape;
        var input = new Tensor(RandomInput(batch * s.Elements, seed + 2), batch, s.Channels, s.Height, s.Width);
        // Layers read the model's parameter tensors, so updates below take effect; unfused, so every node's output is observable.
        var network = new Network(model) { FuseForInference = false };
        for (int i = 0; i < graph.Count; i++)
        {
            if (graph.Nodes[i].Spec is not BatchNorm2dSpec) continue;
            network.Forward(input);
            int src = graph.Nodes[i].Inputs[0];
            var x = src == ModelGraph.GraphInput ? input.Span : network.OutputOf(src).Span;
            var shape = graph.ShapeOf(src);
            int plane = shape.Height * shape.Width;
            var mean = model.Parameter(graph.Nodes[i].ParameterName("running_mean")).Span;
            var variance = model.Parameter(graph.Nodes[i].ParameterName("running_var")).Span;
            for (int c = 0; c < shape.Channels; c++)
            {
                double sum = 0, sumSq = 0;
                for (int n = 0; n < batch; n++)
                    foreach (float v in x.Slice((n * shape.Channels + c) * plane, plane)) { sum += v; sumSq += v * v; }
                double m = sum / (batch * plane), var = Math.Max(sumSq / (batch * plane) - m * m, 1e-4);
                mean[c] = (float)(m + 0.2 * Math.Sqrt(var) * U(-1, 1));
                variance[c] = (float)(var * U(0.7f, 1.4f));
            }
        }
        return model;
    }

    /// <summary>
    /// Largest spread of one output across the batch (max - min): agreement to 1e-4 only means something when
    /// the outputs depend on the input by much more than that.
    /// </summary>
    public static float InputSpread(ReadOnlySpan<float> output, int batch)
    {
        int width = output.Length / batch;
        float spread = 0;
        for (int j = 0; j < width; j++)
        {
            float lo = float.MaxValue, hi = float.MinValue;
            for (int n = 0; n < batch; n++) { lo = Math.Min(lo, output[n * width + j]); hi = Math.Max(hi, output[n * width + j]); }
            spread = Math.Max(spread, hi - lo);
        }
        return spread;
    }

    public static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
