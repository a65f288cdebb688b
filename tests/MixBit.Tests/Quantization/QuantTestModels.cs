using MixBit.Data;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Tests.Quantization;

internal static class QuantTestModels
{
    /// <summary>
    /// 1x8x8 input: conv3x3 1->6 + BN + ReLU, dwconv3x3 stride 2 + BN + ReLU6, pwconv 6->8 (with bias) + BN (no activation),
    /// global average pool, flatten, linear 8->4.
    /// </summary>
    public static ModelGraph TinyCnn()
    {
        var b = new GraphBuilder(new ActivationShape(1, 8, 8));
        b.Conv(6, 3, name: "c1"); b.BatchNorm("c1.bn"); b.Relu("c1.act");
        b.DepthwiseConv(3, 2, name: "dw"); b.BatchNorm("dw.bn"); b.Relu6("dw.act");
        b.Conv(8, 1, bias: true, name: "pw"); b.BatchNorm("pw.bn");
        b.GlobalAvgPool("gap");
        b.Flatten("flatten");
        b.Linear(4, name: "fc");
        return b.Build("tiny_cnn");
    }

    /// <summary>A model with non-trivial BatchNorm statistics and affine parameters (so folding changes the weights).</summary>
    public static Model WithRandomBatchNorm(ModelGraph graph, int seed)
    {
        var model = Model.Initialize(graph, seed);
        var rng = new Random(seed);
        float U(float lo, float hi) => lo + (hi - lo) * (float)rng.NextDouble();
        foreach (var (name, spec, _) in graph.AllParameters())
        {
            var t = model.Parameter(name).Span;
            for (int i = 0; i < t.Length; i++)
                t[i] = spec.Kind switch
                {
                    ParameterKind.Scale => U(0.5f, 1.5f),
                    ParameterKind.Shift => U(-0.5f, 0.5f),
                    ParameterKind.RunningMean => U(-0.3f, 0.3f),
                    ParameterKind.RunningVariance => U(0.5f, 2f),
                    ParameterKind.Bias => U(-0.2f, 0.2f),
                    _ => t[i],
                };
        }
        return model;
    }

    /// <summary>n 8x8 images of 4 classes: a bright 4x4 quadrant (class = quadrant) on noise.</summary>
    public static ImageDataset Quadrants(int n, int seed)
    {
        var rng = new Random(seed);
        var pixels = new byte[n * 64];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = labels[i] = i % 4;
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 8; x++)
                {
                    bool inside = (y < 4) == (c < 2) && (x < 4) == (c % 2 == 0);
                    pixels[i * 64 + y * 8 + x] = (byte)Math.Clamp((inside ? 150 : 60) + rng.Next(-90, 91), 0, 255);
                }
        }
        return new ImageDataset(pixels, labels, 1, 8, 8, 4);
    }
}
