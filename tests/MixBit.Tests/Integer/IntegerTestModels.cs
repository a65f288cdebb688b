using MixBit.Data;
using MixBit.Integer;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Quantization;
using MixBit.Tests.Quantization;

namespace MixBit.Tests.Integer;

/// <summary>A calibrated fake-quant network, its integer model and the images it was calibrated on.</summary>
internal sealed record IntegerCase(FakeQuantNetwork Network, QuantizedModel Quantized, ImageDataset Images, Normalization Normalization);

/// <summary>Random models with every op the integer model has, and the fake-quant network's codes to compare against.</summary>
internal static class IntegerTestModels
{
    /// <summary>
    /// A stem conv on the raw input (zero point, padding), then random blocks: depthwise (stride 1 or 2), pointwise with
    /// odd channel counts, grouped and dilated convs, max/avg pools (with padding), residual Adds (with ReLU, ReLU6 or
    /// none, sometimes reading the network input), layers without BatchNorm or activation; then either GAP + Linear or a
    /// flatten of an H x W map + Linear + ReLU + Linear.
    /// </summary>
    public static ModelGraph Random(Random rng, int id)
    {
        int channels = rng.Next(1, 4), size = rng.Next(5, 12);
        var b = new GraphBuilder(new ActivationShape(channels, size, size));
        if (rng.Next(4) == 0)
        {
            // An Add and a pool that read the network input directly (its zero point is not 0).
            int skip = b.Current;
            b.ConvBnAct(channels, 3, activation: false);
            b.Residual(skip, b.Current);
            if (rng.Next(2) == 0) b.Relu();
        }
        else if (rng.Next(4) == 0) b.Add(new Pool2dSpec(PoolKind.Average, 3, 3, 1, 1, 1, 1, 1, 1, countIncludePad: true));
        b.Conv(rng.Next(3, 10), 3, rng.Next(2) == 0 ? 1 : 2, bias: rng.Next(2) == 0);
        if (rng.Next(3) > 0) b.BatchNorm();
        Activation(b, rng);
        int blocks = rng.Next(2, 5);
        for (int i = 0; i < blocks; i++)
        {
            var s = b.CurrentShape;
            switch (rng.Next(7))
            {
                case 0:
                    b.ConvBnAct(s.Channels, 3, s.Height >= 4 && rng.Next(2) == 0 ? 2 : 1, groups: s.Channels);
                    break;
                case 1:
                    b.Conv(rng.Next(2, 12) | 1, 1, bias: rng.Next(2) == 0);
                    if (rng.Next(2) == 0) b.BatchNorm();
                    Activation(b, rng);
                    break;
                case 2 when s.Channels % 2 == 0:
                    b.Add(new Conv2dSpec(s.Channels, s.Channels * 2, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 2));
                    b.BatchNorm();
                    b.Relu();
                    break;
                case 2:
                    b.Add(new Conv2dSpec(s.Channels, rng.Next(2, 7), 3, 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2));
                    Activation(b, rng);
                    break;
                case 3 when s.Height >= 4:
                    if (rng.Next(2) == 0) b.MaxPool(2, 2); else b.AvgPool(2, 2);
                    break;
                case 4:
                    b.Add(new Pool2dSpec(PoolKind.Max, 3, 3, 1, 1, 1, 1, 1, 1));
                    break;
                default:
                    int skip = b.Current;
                    b.ConvBnAct(s.Channels, 3, relu6: rng.Next(2) == 0);
                    b.ConvBnAct(s.Channels, rng.Next(2) == 0 ? 1 : 3, activation: false);
                    b.Residual(skip, b.Current);
                    Activation(b, rng);
                    break;
            }
        }
        if (rng.Next(2) == 0)
        {
            b.GlobalAvgPool();
            b.Flatten();
        }
        else
        {
            b.Flatten();
            b.Linear(rng.Next(4, 13));
            b.Relu();
        }
        b.Linear(rng.Next(3, 11));
        return b.Build($"integer_random{id}");
    }

    private static void Activation(GraphBuilder b, Random rng)
    {
        switch (rng.Next(3))
        {
            case 0: b.Relu(); break;
            case 1: b.Relu6(); break;
        }
    }

    /// <summary>Uniformly random pixels (labels are irrelevant here).</summary>
    public static ImageDataset RandomImages(ActivationShape shape, int count, int seed)
    {
        var pixels = new byte[count * shape.Elements];
        new Random(seed).NextBytes(pixels);
        return new ImageDataset(pixels, new int[count], shape.Channels, shape.Height, shape.Width, 2);
    }

    /// <summary>A random BatchNorm'd model of <paramref name="graph"/>, calibrated for <paramref name="policy"/> on random images, and its integer model.</summary>
    public static IntegerCase Calibrated(ModelGraph graph, BitPolicy policy, QuantizationOptions options, int seed, int images = 64)
    {
        var model = QuantTestModels.WithRandomBatchNorm(graph, seed);
        var data = RandomImages(graph.InputShape, images, seed);
        int c = graph.InputShape.Channels;
        var norm = new Normalization(Enumerable.Repeat(0.45f, c).ToArray(), Enumerable.Repeat(0.29f, c).ToArray());
        var fq = new FakeQuantNetwork(model, policy, options, norm);
        CalibrationStatistics.Collect(fq, CalibrationStatistics.Batches(data, norm, 32, 2)).ApplyTo(fq);
        return new IntegerCase(fq, IntegerConverter.Convert(fq), data, norm);
    }

    public static BitPolicy RandomPolicy(ModelGraph graph, Random rng)
    {
        var bits = BitPolicy.AllowedBits;
        return BitPolicy.Create(graph, BitPolicy.QuantizableLayers(graph).Select(l =>
            KeyValuePair.Create(l, new LayerBits(bits[rng.Next(3)], bits[rng.Next(3)]))));
    }

    /// <summary>
    /// The fake-quant network's codes of every plan tensor for images [0, count), NHWC per image, from one forward without
    /// fusion: code = round(value / scale) + zero point of the tensor's grid. The input's codes are the pixels themselves.
    /// </summary>
    public static int[][][] FakeQuantCodes(IntegerCase c, int count)
    {
        var fq = c.Network;
        var plan = fq.Plan;
        var it = new BatchIterator(c.Images, c.Normalization, BatchOptions.Evaluation(count));
        var x = it.CreateImageTensor();
        it.Next(x, new int[count]);
        fq.Network.FuseForInference = false;
        fq.Network.Forward(x, training: false);
        var codes = new int[count][][];
        for (int i = 0; i < count; i++) codes[i] = new int[plan.Tensors.Count][];
        foreach (var t in plan.Tensors)
        {
            var q = c.Quantized.Tensors[t.Id];
            var values = t.IsNetworkInput ? x : fq.Network.OutputOf(plan.Ops[t.ProducerOp].FusedNodes[^1]);
            int ch = q.Channels, hw = q.Height * q.Width;
            for (int i = 0; i < count; i++)
            {
                var image = new int[q.Elements];
                for (int k = 0; k < ch; k++)
                    for (int p = 0; p < hw; p++)
                    {
                        float v = values.Data[(i * ch + k) * hw + p];
                        image[p * ch + k] = t.IsNetworkInput
                            ? new UniformQuantizer(8, false, (float)q.Scale, q.ZeroPoint).Quantize(v)
                            : (int)Math.Round(v / q.Scale) + q.ZeroPoint;
                    }
                codes[i][t.Id] = image;
            }
        }
        return codes;
    }
}
