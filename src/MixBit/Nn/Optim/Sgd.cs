using MixBit.Nn.Layers;

namespace MixBit.Nn.Optim;

/// <summary>SGD with momentum (PyTorch form): g' = g + wd*w; v = mu*v + g'; w -= lr * (nesterov ? g' + mu*v : v).</summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] _velocity;

    public Sgd(IReadOnlyList<ParameterSlot> parameters, float momentum = 0.9f, float weightDecay = 0f, bool nesterov = false) : base(parameters)
    {
        (Momentum, WeightDecay, Nesterov) = (momentum, weightDecay, nesterov);
        _velocity = parameters.Select(p => new float[p.Value.Length]).ToArray();
    }

    public float Momentum { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    protected override IEnumerable<float[]> StateBuffers => _velocity;

    public override void Step()
    {
        for (int s = 0; s < Slots.Count; s++)
        {
            var p = Slots[s];
            var w = p.Value.Span;
            var g = p.Gradient.Span;
            var v = _velocity[s].AsSpan();
            float wd = p.WeightDecay ? WeightDecay : 0f;
            for (int i = 0; i < w.Length; i++)
            {
                float gi = g[i] + wd * w[i];
                v[i] = Momentum * v[i] + gi;
                w[i] -= LearningRate * (Nesterov ? gi + Momentum * v[i] : v[i]);
            }
        }
    }
}
