using MixBit.Nn.Layers;

namespace MixBit.Nn.Optim;

/// <summary>
/// Adam (Kingma and Ba) with bias correction; weight decay decoupled as in AdamW when <c>decoupled</c>:
/// m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly float[][] _m, _v;
    private int _t;

    public Adam(IReadOnlyList<ParameterSlot> parameters, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f,
        float weightDecay = 0f, bool decoupled = true) : base(parameters)
    {
        (Beta1, Beta2, Epsilon, WeightDecay, Decoupled) = (beta1, beta2, epsilon, weightDecay, decoupled);
        _m = parameters.Select(p => new float[p.Value.Length]).ToArray();
        _v = parameters.Select(p => new float[p.Value.Length]).ToArray();
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }
    public bool Decoupled { get; }

    protected override IEnumerable<float[]> StateBuffers => _m.Concat(_v);
    protected override int StepCount { get => _t; set => _t = value; }

    public override void Step()
    {
        _t++;
        float c1 = 1f - MathF.Pow(Beta1, _t), c2 = 1f - MathF.Pow(Beta2, _t);
        for (int s = 0; s < Slots.Count; s++)
        {
            var p = Slots[s];
            var w = p.Value.Span;
            var g = p.Gradient.Span;
            var m = _m[s].AsSpan();
            var v = _v[s].AsSpan();
            float wd = p.WeightDecay ? WeightDecay : 0f;
            for (int i = 0; i < w.Length; i++)
            {
                float gi = Decoupled ? g[i] : g[i] + wd * w[i];
                m[i] = Beta1 * m[i] + (1 - Beta1) * gi;
                v[i] = Beta2 * v[i] + (1 - Beta2) * gi * gi;
                float update = m[i] / c1 / (MathF.Sqrt(v[i] / c2) + Epsilon);
                if (Decoupled) update += wd * w[i];
                w[i] -= LearningRate * update;
            }
        }
    }
}
