using MixBit.Nn.Layers;
using MixBit.Nn.Optim;
using MixBit.Tensors;

namespace MixBit.Tests.Nn;

public class OptimizerTests
{
    /// <summary>Minimises f(w) = 1/2 sum (w - t)^2, gradient w - t.</summary>
    private static float[] Minimise(Func<IReadOnlyList<ParameterSlot>, Optimizer> make, float lr, int steps)
    {
        var w = new Tensor([3f, -2f, 0.5f], 3);
        var g = new Tensor(3);
        float[] target = [1f, 1f, -1f];
        var opt = make([new ParameterSlot("w", w, g, false)]);
        opt.LearningRate = lr;
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < 3; i++) g.Data[i] = w.Data[i] - target[i];
            opt.Step();
        }
        return w.Span.ToArray();
    }

    [Fact]
    public void Sgd_and_adam_converge_on_a_quadratic()
    {
        foreach (var w in new[] { Minimise(p => new Sgd(p, 0.9f), 0.05f, 300), Minimise(p => new Sgd(p, 0.9f, nesterov: true), 0.05f, 300), Minimise(p => new Adam(p), 0.05f, 600) })
        {
            Assert.Equal(1f, w[0], 2e-2f);
            Assert.Equal(1f, w[1], 2e-2f);
            Assert.Equal(-1f, w[2], 2e-2f);
        }
    }

    [Fact]
    public void Sgd_first_step_matches_the_formula()
    {
        var w = new Tensor([1f], 1);
        var g = new Tensor([0.5f], 1);
        var opt = new Sgd([new ParameterSlot("w", w, g, true)], momentum: 0.9f, weightDecay: 0.1f) { LearningRate = 0.2f };
        opt.Step();
        // v = 0.5 + 0.1 * 1 = 0.6; w = 1 - 0.2 * 0.6
        Assert.Equal(1f - 0.2f * 0.6f, w.Data[0], 6);
        opt.Step();
        // v = 0.9 * 0.6 + (0.5 + 0.1 * 0.88) = 1.128; w = 0.88 - 0.2 * 1.128
        Assert.Equal(0.88f - 0.2f * 1.128f, w.Data[0], 5);
    }

    [Fact]
    public void Optimizer_state_round_trips_so_resumed_runs_continue_exactly()
    {
        float[] Run(bool restart)
        {
            var w = new Tensor([2f, -1f], 2);
            var g = new Tensor(2);
            Optimizer opt = new Adam([new ParameterSlot("w", w, g, false)]) { LearningRate = 0.1f };
            for (int s = 0; s < 10; s++)
            {
                if (restart && s == 5)
                {
                    var ms = new MemoryStream();
                    opt.WriteState(new BinaryWriter(ms));
                    opt = new Adam([new ParameterSlot("w", w, g, false)]) { LearningRate = 0.1f };
                    ms.Position = 0;
                    opt.ReadState(new BinaryReader(ms));
                }
                g.Data[0] = w.Data[0]; g.Data[1] = 3 * w.Data[1];
                opt.Step();
            }
            return w.Span.ToArray();
        }
        Assert.Equal(Run(false), Run(true));
    }

    [Fact]
    public void Schedules_follow_their_formulas()
    {
        var cos = new CosineSchedule(1f, WarmupSteps: 10);
        Assert.Equal(0.1f, cos.At(0, 110), 5);
        Assert.Equal(1f, cos.At(10, 110), 5);
        Assert.Equal(0.5f, cos.At(60, 110), 5);
        Assert.Equal(0f, cos.At(110, 110), 5);
        var step = new StepSchedule(1f, StepSize: 10, Gamma: 0.5f);
        Assert.Equal(1f, step.At(9, 100));
        Assert.Equal(0.25f, step.At(25, 100));
        Assert.Throws<MixBitException>(() => LearningRateSchedule.Parse("linear", 1f, 10));
    }
}
