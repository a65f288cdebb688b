using System.Diagnostics;
using MixBit.Nn;
using MixBit.Nn.Optim;

namespace MixBit.Bench;

/// <summary>Per-layer forward/backward milliseconds per training step and per inference batch, to see where time goes
/// (thread CPU time with one worker, wall time with several).</summary>
public static class Profile
{
    public static void Run(Model model, int batch, int steps)
    {
        var graph = model.Graph;
        var net = new Network(model);
        // One worker: thread CPU time (robust to other load on a shared machine), in nanoseconds; else wall time.
        double frequency = Stopwatch.Frequency;
        if (MixBit.Tensors.Workers.Count == 1)
        {
            net.ProfileClock = () => (long)(GemmBench.ThreadCpuSeconds() * 1e9);
            frequency = 1e9;
        }
        var opt = new Sgd(net.Parameters, 0.9f) { LearningRate = 0.01f };
        var x = EngineThroughput.RandomInput(graph, batch);
        var labels = Enumerable.Range(0, batch).Select(i => i % 2).ToArray();
        var loss = new SoftmaxCrossEntropy();
        for (int s = 0; s < steps + 3; s++)
        {
            if (s == 3) net.Profiling = true;
            var y = net.Forward(x, true); loss.Compute(y, labels); net.ZeroGradients(); net.Backward(loss.Gradient); opt.Step();
        }
        double ms(long t) => t * 1000.0 / frequency / steps;
        for (int i = 0; i < graph.Count; i++)
            Console.WriteLine($"{graph.Nodes[i].Name,-22} {graph.Nodes[i].Spec.OpName,-10} {graph.ShapeOf(i),-12} fwd {ms(net.ForwardTicks[i]),7:F3} ms  bwd {ms(net.BackwardTicks[i]),7:F3} ms");
        Console.WriteLine($"total fwd {ms(net.ForwardTicks.Sum()):F2} ms, bwd {ms(net.BackwardTicks.Sum()):F2} ms");
        Array.Clear(net.ForwardTicks);
        net.ParametersFrozen = true; // an inference session
        for (int s = 0; s < steps * 5; s++) net.Forward(x);
        Console.WriteLine("inference (fused):");
        for (int i = 0; i < graph.Count; i++)
            if (net.ForwardTicks[i] > 0) Console.WriteLine($"{graph.Nodes[i].Name,-22} {graph.Nodes[i].Spec.OpName,-10} {graph.ShapeOf(i),-12} {ms(net.ForwardTicks[i]) / 5,7:F3} ms");
        Console.WriteLine($"total {ms(net.ForwardTicks.Sum()) / 5:F2} ms per batch");
    }
}
