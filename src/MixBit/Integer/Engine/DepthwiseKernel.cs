using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MixBit.Integer.Engine;

/// <summary>
/// Depthwise convolution (channel multiplier 1), weights [kh][kw][c]. Scalar path: the contract's sum over in-bounds taps
/// per channel. SIMD path: 8 channels per int32 vector; per tap the 8 int16 inputs are widened and multiplied by the
/// tap's 8 weights (vpmulld), exact since |x * w| &lt;= 255 * 127; the channels after the last multiple of 8 go scalar.
/// </summary>
internal sealed class DepthwiseKernel : OpKernel
{
    private const int Lanes = FixedPointMultiplier.Lanes.Count;

    private readonly QuantizedLayer _layer;
    private readonly int _in, _out, _inH, _inW, _outH, _outW, _channels, _inElements;
    private readonly KernelWindow _window;
    private readonly int[] _weights;
    private readonly FixedPointMultiplier.Lanes[] _lanes;

    public DepthwiseKernel(QuantizedLayer layer, QuantizedTensor input, QuantizedTensor output)
    {
        _layer = layer;
        (_in, _out, _inElements) = (input.Id, output.Id, input.Elements);
        (_inH, _inW, _outH, _outW, _channels) = (input.Height, input.Width, output.Height, output.Width, output.Channels);
        _window = layer.Window!;
        _weights = layer.WeightCodes();
        _lanes = new FixedPointMultiplier.Lanes[_channels / Lanes];
        for (int b = 0; b < _lanes.Length; b++) _lanes[b] = new FixedPointMultiplier.Lanes(layer.Multipliers.AsSpan(b * Lanes, Lanes));
    }

    public override void RunScalar(EngineArena arena) => Run(arena.Tensors[_in], arena.Tensors[_out], simdChannels: 0, _layer.InputZeroPoint);

    public override void RunSimd(EngineArena arena)
    {
        if (!Avx2.IsSupported) { RunScalar(arena); return; }
        Run(arena.CenteredInput(_in, _inElements, _layer.InputZeroPoint), arena.Tensors[_out], _channels / Lanes * Lanes, zeroPoint: 0);
    }

    /// <summary>Channels [0, simdChannels) by vectors of 8 (input already centred), the rest by the scalar formula.</summary>
    private unsafe void Run(short[] x, short[] y, int simdChannels, int zeroPoint)
    {
        var l = _layer;
        var win = _window;
        int c = _channels;
        var zero = Vector256.Create(l.OutputZeroPoint);
        var min = Vector256.Create(l.ActivationMin);
        var max = Vector256.Create(l.ActivationMax);
        fixed (short* xp = x)
        fixed (short* yp = y)
        fixed (int* wp = _weights)
        fixed (int* biasp = l.Bias)
        {
            for (int oy = 0; oy < _outH; oy++)
            {
                var (ky0, ky1) = KernelWindow.ValidTaps(oy, win.StrideH, win.PadTop, win.DilationH, win.KernelH, _inH);
                for (int ox = 0; ox < _outW; ox++)
                {
                    var (kx0, kx1) = KernelWindow.ValidTaps(ox, win.StrideW, win.PadLeft, win.DilationW, win.KernelW, _inW);
                    int iy0 = oy * win.StrideH - win.PadTop, ix0 = ox * win.StrideW - win.PadLeft;
                    short* outPixel = yp + (oy * _outW + ox) * c;
                    for (int ch = 0; ch < simdChannels; ch += Lanes)
                    {
                        var acc = Avx.LoadVector256(biasp + ch);
                        for (int ky = ky0; ky < ky1; ky++)
                            for (int kx = kx0; kx < kx1; kx++)
                            {
                                short* xs = xp + ((iy0 + ky * win.DilationH) * _inW + ix0 + kx * win.DilationW) * c + ch;
                                var xv = Avx2.ConvertToVector256Int32(Sse2.LoadVector128(xs));
                                acc += Avx2.MultiplyLow(xv, Avx.LoadVector256(wp + (ky * win.KernelW + kx) * c + ch));
                            }
                        LayerKernel.StoreRow(outPixel + ch, acc, _lanes[ch / Lanes], zero, min, max, Lanes);
                    }
                    for (int ch = simdChannels; ch < c; ch++)
                    {
                        int acc = biasp[ch];
                        for (int ky = ky0; ky < ky1; ky++)
                            for (int kx = kx0; kx < kx1; kx++)
                                acc += wp[(ky * win.KernelW + kx) * c + ch] * (xp[((iy0 + ky * win.DilationH) * _inW + ix0 + kx * win.DilationW) * c + ch] - zeroPoint);
                        outPixel[ch] = Store(l.Multipliers[ch].Requantize(acc), l.OutputZeroPoint, l.ActivationMin, l.ActivationMax);
                    }
                }
            }
        }
    }
}
