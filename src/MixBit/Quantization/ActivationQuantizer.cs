using MixBit.Nn.Layers;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>
/// Activation fake quantizer with a learnable clip value alpha (PACT, Choi et al. 2018). Unsigned (after a ReLU) the
/// grid is [0, alpha] with 2^b levels; signed (after an Add or a layer without activation) it is symmetric with its
/// largest level at alpha. Forward: y = s * clamp(round(x / s), qmin, qmax). Backward (straight-through estimator,
/// masked by the clamp): dy/dx = 1 inside the range, 0 outside; dy/dalpha = y / alpha where x is clamped (= 1 above
/// alpha for the unsigned grid) and 0 inside. A fixed quantizer (the network input) has no alpha.
/// </summary>
public sealed class ActivationQuantizer
{
    private readonly Tensor _alpha = new(1), _alphaGrad = new(1);
    private UniformQuantizer? _fixed;
    private ActivationObserver? _observer;

    public ActivationQuantizer(string name, int bits, bool signed)
    {
        (Name, Bits, Signed) = (name, bits, signed);
        _alpha.Data[0] = 1f;
        Slot = new ParameterSlot($"{name}.clip", _alpha, _alphaGrad, false);
    }

    /// <summary>The name of the graph node whose output this quantizes ("input" for the network input).</summary>
    public string Name { get; }
    public int Bits { get; set; }
    public bool Signed { get; }

    /// <summary>When false, values pass unchanged (float reference and calibration).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The learnable clip value (absent for a fixed quantizer).</summary>
    public ParameterSlot? Parameter => _fixed is null ? Slot : null;
    private ParameterSlot Slot { get; }

    public float Alpha
    {
        get => _alpha.Data[0];
        set => _alpha.Data[0] = value > 1e-6f ? value : 1e-6f;
    }

    /// <summary>Fixes the grid (no learnable clip): used for the 8-bit network input on its calibrated range.</summary>
    public void Fix(UniformQuantizer grid) => _fixed = grid;

    public UniformQuantizer Grid => _fixed ?? (Signed
        ? UniformQuantizer.Symmetric(Bits, Alpha, narrowRange: false)
        : UniformQuantizer.Unsigned(Bits, Alpha));

    /// <summary>When set, every forward adds its input values to the observer (calibration).</summary>
    public ActivationObserver? Observer { get => _observer; set => _observer = value; }

    public void Forward(Tensor x, Tensor y)
    {
        _observer?.Add(x.Span);
        if (!y.HasShape(x.Shape)) y.Reshape(x.Shape.ToArray());
        if (!Enabled) { x.Span.CopyTo(y.Span); return; }
        var grid = Grid;
        Workers.Share(x.Length, 1, (s, e, _) => grid.FakeQuantize(x.Data.AsSpan(s, e - s), y.Data.AsSpan(s, e - s)));
    }

    /// <summary>dx = dy inside the grid's range (0 outside); accumulates dL/dalpha. <paramref name="y"/> is the forward output.</summary>
    public void Backward(Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        if (!dx.HasShape(x.Shape)) dx.Reshape(x.Shape.ToArray());
        if (!Enabled) { dy.Span.CopyTo(dx.Span); return; }
        var grid = Grid;
        float lo = grid.Low, hi = grid.High, inv = 1f / Alpha;
        var partial = new double[Workers.Count];
        Workers.For(x.Length, 1, (start, end, worker) =>
        {
            var xs = x.Data; var ys = y.Data; var g = dy.Data; var d = dx.Data;
            double dAlpha = 0;
            for (int i = start; i < end; i++)
            {
                float v = xs[i];
                if (v >= lo && v <= hi) d[i] = g[i];
                else { d[i] = 0f; dAlpha += g[i] * ys[i] * inv; }
            }
            partial[worker] = dAlpha;
        });
        if (_fixed is null) _alphaGrad.Data[0] += (float)partial.Sum();
    }
}
