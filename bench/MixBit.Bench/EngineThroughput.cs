using System.Diagnostics;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Optim;
using MixBit.Tensors;

namespace MixBit.Bench;

/// <summary>Images per second of MixBit training steps and inference forwards on random data (batch from the caller).</summary>
public static class EngineThroughput
{
    public static double TrainImagesPerSecond(ModelGraph graph, int batch, int warmup, int steps)
    {
        var net = new Network(Model.Initialize(graph, 1));
        var opt = new Sgd(net.Parameters, 0.9f) { LearningRate = 0.01f };
        var x = RandomInput(graph, batch);
        var labels = Enumerable.Range(0, batch).Select(i => i % graph.OutputShape.Channels).ToArray();
        var loss = new SoftmaxCrossEntropy();
        void Step()
        {
            var y = net.Forward(x, training: true);
            loss.Compute(y, labels);
            net.ZeroGradients();
            net.Backward(loss.Gradient);
            opt.Step();
        }
        for (int i = 0; i < warmup; i++) Step();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step();
        return batch * steps / sw.Elapsed.TotalSeconds;
    }

    public static double InferImagesPerSecond(ModelGraph graph, int batch, int warmup, int steps)
    {
        var net = new Network(Model.Initialize(graph, 1));
        var x = RandomInput(graph, batch);
        for (int i = 0; i < warmup; i++) net.Forward(x);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) net.Forward(x);
        return batch * steps / sw.Elapsed.TotalSeconds;
    }

    public static Tensor RandomInput(ModelGraph graph, int batch)
    {
        var s = graph.InputShape;
        var x = new Tensor(batch, s.Channels, s.Height, s.Width);
        var rng = new Random(7);
        for (int i = 0; i < x.Length; i++) x.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
