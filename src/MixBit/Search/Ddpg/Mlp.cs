using MixBit.Nn.Layers;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Search.Ddpg;

/// <summary>
/// A multi-layer perceptron on the engine's own layers: Linear -> ReLU -> ... -> Linear, input [N, In], output [N, Out].
/// Initialisation as HAQ's DDPG: hidden layers uniform in +-1/sqrt(fan_in), the last layer uniform in +-3e-3 (so the
/// first actions and Q-values start near the middle and near 0).
/// </summary>
public sealed class Mlp
{
    private readonly Layer[] _layers;
    private readonly Tensor[] _gradients;
    private readonly Tensor[] _single = new Tensor[1];
    private readonly Tensor?[] _singleGrad = new Tensor?[1];

    public Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, SearchRandom rng, string name)
    {
        (Inputs, Outputs) = (inputs, outputs);
        var layers = new List<Layer>();
        int fanIn = inputs;
        var widths = hidden.Append(outputs).ToArray();
        for (int i = 0; i < widths.Length; i++)
        {
            bool last = i == widths.Length - 1;
            float bound = last ? 3e-3f : 1f / MathF.Sqrt(fanIn);
            var w = new Tensor(widths[i], fanIn);
            var b = new Tensor(widths[i]);
            foreach (var t in new[] { w, b })
                for (int k = 0; k < t.Length; k++) t.Data[k] = (float)(rng.NextDouble() * 2 - 1) * bound;
            layers.Add(new LinearLayer($"{name}.fc{i}", new LinearSpec(fanIn, widths[i]), w, b));
            if (!last) layers.Add(new ReluLayer(ReluSpec.Relu));
            fanIn = widths[i];
        }
        _layers = layers.ToArray();
        _gradients = _layers.Select(_ => new Tensor(0)).ToArray();
        Parameters = _layers.SelectMany(l => l.Parameters).ToArray();
    }

    /// <summary>Sets every bias of the output layer to <paramref name="value"/>.</summary>
    public void SetOutputBias(float value) => Parameters[^1].Value.Span.Fill(value);

    public int Inputs { get; }
    public int Outputs { get; }
    public IReadOnlyList<ParameterSlot> Parameters { get; }

    /// <summary>Output for a batch x [N, Inputs]; valid until the next call.</summary>
    public Tensor Forward(Tensor x)
    {
        var y = x;
        foreach (var layer in _layers)
        {
            _single[0] = y;
            y = layer.Forward(_single, training: true);
        }
        return y;
    }

    /// <summary>Accumulates parameter gradients for dL/dy of the last <see cref="Forward"/>; returns dL/dx (valid until the next call).</summary>
    public Tensor Backward(Tensor outputGradient)
    {
        var dy = outputGradient;
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            _singleGrad[0] = _gradients[i];
            _layers[i].Backward(dy, _singleGrad);
            dy = _gradients[i];
        }
        return dy;
    }

    public void ZeroGradients()
    {
        foreach (var p in Parameters) p.Gradient.Clear();
    }

    /// <summary>Copies every parameter of <paramref name="source"/> (same architecture) into this network.</summary>
    public void CopyFrom(Mlp source) => SoftUpdateFrom(source, 1f);

    /// <summary>theta = (1 - tau) * theta + tau * theta_source (the target-network update of DDPG).</summary>
    public void SoftUpdateFrom(Mlp source, float tau)
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            var dst = Parameters[i].Value.Span;
            var src = source.Parameters[i].Value.Span;
            for (int k = 0; k < dst.Length; k++) dst[k] = (1 - tau) * dst[k] + tau * src[k];
        }
    }
}
