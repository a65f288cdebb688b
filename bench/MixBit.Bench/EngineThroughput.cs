using System.Diagnostics;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Optim;
using MixBit.Tensors;

namespace MixBit.Bench;

/// <summary>
/// Images per second of MixBit training steps (forward, softmax cross-entropy, backward, SGD momentum) and inference
/// forwards on random data: a warm-up (<see cref="Rate"/>), then at least <c>minSteps</c> calls and <c>minSeconds</c> of them.
/// </summary>
public static class EngineThroughput
{
    public static double TrainImagesPerSecond(Model model, int batch, double minSeconds, int minSteps)
    {
        var net = new Network(model);
        var opt = new Sgd(net.Parameters, 0.9f) { LearningRate = 0.01f };
        var x = RandomInput(model.Graph, batch);
        var labels = Enumerable.Range(0, batch).Select(i => i % 2).ToArray();
        var loss = new SoftmaxCrossEntropy();
        return batch * Rate(() =>
        {
            var y = net.Forward(x, training: true);
            loss.Compute(y, labels);
            net.ZeroGradients();
            net.Backward(loss.Gradient);
            opt.Step();
        }, minSeconds, minSteps);
    }

    public static double InferImagesPerSecond(Model model, int batch, double minSeconds, int minSteps)
    {
        var net = new Network(model) { ParametersFrozen = true }; // an inference session, as ONNX Runtime's
        var x = RandomInput(model.Graph, batch);
        return batch * Rate(() => net.Forward(x), minSeconds, minSteps);
    }

    public static double TrainImagesPerSecond(ModelGraph graph, int batch, double minSeconds, int minSteps)
        => TrainImagesPerSecond(Model.Initialize(graph, 1), batch, minSeconds, minSteps);

    public static double InferImagesPerSecond(ModelGraph graph, int batch, double minSeconds, int minSteps)
        => InferImagesPerSecond(Model.Initialize(graph, 1), batch, minSeconds, minSteps);

    /// <summary>
    /// Calls per second of <paramref name="step"/>, after a warm-up of at least two calls and half of
    /// <paramref name="minSeconds"/> (long enough for .NET to replace first-call code by optimised code).
    /// </summary>
    public static double Rate(Action step, double minSeconds, int minSteps)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 2 || warm.Elapsed.TotalSeconds < minSeconds / 2; i++) step();
        int steps = 0;
        var sw = Stopwatch.StartNew();
        while (steps < minSteps || sw.Elapsed.TotalSeconds < minSeconds) { step(); steps++; }
        return steps / sw.Elapsed.TotalSeconds;
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
