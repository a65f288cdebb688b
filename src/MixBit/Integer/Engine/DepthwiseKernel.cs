using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MixBit.Integer.Engine;

/// <summary>
/// Depthwise convolution (channel multiplier 1), weights [kh][kw][c]. Scalar path: the contract's sum over in-bounds taps
/// per channel. SIMD path: per output pixel a table of tap addresses (a padded tap points at a row of zeros), then
/// channels in blocks of 16 (and 8): the int16 inputs of two taps are interleaved (vpunpcklwd/hwd) and one vpmaddwd
/// multiplies them by the two taps' weights, interleaved the same way once at preparation, and adds the pair into int32
/// lanes, exactly (|x| &lt;= 255, |w| &lt;= 127). An odd tap count pairs the last tap with the zero row and a zero weight.
/// </summary>
internal sealed class DepthwiseKernel : OpKernel
{
    private const int Lanes = FixedPointMultiplier.Lanes.Count;

    private readonly QuantizedLayer _layer;
    private readonly int _in, _out, _inH, _inW, _outH, _outW, _channels, _inElements, _taps, _pairs;
    private readonly KernelWindow _window;
    private readonly int[] _weights;
    private readonly FixedPointMultiplier.Lanes[] _lanes;
    // Per block of 16 channels and tap pair: 16 int16 for channels 0-3 and 8-11, then 16 for 4-7 and 12-15 (vpunpck order);
    // for a last block of 8: 8 for channels 0-3, then 8 for 4-7.
    private readonly short[] _pairedWeights;
    private readonly short[] _zeros;
    // Per output pixel and tap (2 * pairs of them): the input element offset of the tap's first channel, -1 for a padded tap.
    private readonly int[] _tapOffsets;

    public DepthwiseKernel(QuantizedLayer layer, QuantizedTensor input, QuantizedTensor output)
    {
        _layer = layer;
        (_in, _out, _inElements) = (input.Id, output.Id, input.Elements);
        (_inH, _inW, _outH, _outW, _channels) = (input.Height, input.Width, output.Height, output.Width, output.Channels);
        _window = layer.Window!;
        _weights = layer.WeightCodes();
        _taps = _window.Taps;
        _pairs = (_taps + 1) / 2;
        _lanes = new FixedPointMultiplier.Lanes[_channels / Lanes];
        for (int b = 0; b < _lanes.Length; b++) _lanes[b] = new FixedPointMultiplier.Lanes(layer.Multipliers.AsSpan(b * Lanes, Lanes));
        _zeros = new short[_channels + EngineArena.Spare];
        _tapOffsets = new int[_outH * _outW * 2 * _pairs];
        _tapOffsets.AsSpan().Fill(-1);
        var win = _window;
        for (int oy = 0; oy < _outH; oy++)
            for (int ox = 0; ox < _outW; ox++)
            {
                var (ky0, ky1) = KernelWindow.ValidTaps(oy, win.StrideH, win.PadTop, win.DilationH, win.KernelH, _inH);
                var (kx0, kx1) = KernelWindow.ValidTaps(ox, win.StrideW, win.PadLeft, win.DilationW, win.KernelW, _inW);
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++)
                        _tapOffsets[(oy * _outW + ox) * 2 * _pairs + ky * win.KernelW + kx] =
                            ((oy * win.StrideH - win.PadTop + ky * win.DilationH) * _inW + ox * win.StrideW - win.PadLeft + kx * win.DilationW) * _channels;
            }
        _pairedWeights = new short[_channels / Lanes * Lanes * 2 * _pairs];
        int W(int tap, int c) => tap < _taps ? _weights[tap * _channels + c] : 0;
        int at = 0;
        for (int c0 = 0; c0 < _channels / Lanes * Lanes; c0 += 2 * Lanes)
        {
            bool wide = c0 + 2 * Lanes <= _channels;
            // Channel order of the interleaved halves: 256-bit unpack works per 128-bit lane.
            int[] order = wide ? [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15] : [0, 1, 2, 3, 4, 5, 6, 7];
            for (int j = 0; j < _pairs; j++)
                foreach (int c in order)
                {
                    _pairedWeights[at++] = (short)W(2 * j, c0 + c);
                    _pairedWeights[at++] = (short)W(2 * j + 1, c0 + c);
                }
        }
    }

    public override void RunScalar(EngineArena arena)
    {
        var x = arena.Tensors[_in];
        var y = arena.Tensors[_out];
        var l = _layer;
        var win = _window;
        int c = _channels;
        for (int oy = 0; oy < _outH; oy++)
        {
            var (ky0, ky1) = KernelWindow.ValidTaps(oy, win.StrideH, win.PadTop, win.DilationH, win.KernelH, _inH);
            for (int ox = 0; ox < _outW; ox++)
            {
                var (kx0, kx1) = KernelWindow.ValidTaps(ox, win.StrideW, win.PadLeft, win.DilationW, win.KernelW, _inW);
                for (int ch = 0; ch < c; ch++)
                {
                    int acc = l.Bias[ch];
                    for (int ky = ky0; ky < ky1; ky++)
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            int iy = oy * win.StrideH - win.PadTop + ky * win.DilationH, ix = ox * win.StrideW - win.PadLeft + kx * win.DilationW;
                            acc += _weights[(ky * win.KernelW + kx) * c + ch] * (x[(iy * _inW + ix) * c + ch] - l.InputZeroPoint);
                        }
                    y[(oy * _outW + ox) * c + ch] = Store(l.Multipliers[ch].Requantize(acc), l.OutputZeroPoint, l.ActivationMin, l.ActivationMax);
                }
            }
        }
    }

    public override unsafe void RunSimd(EngineArena arena)
    {
        if (!Avx2.IsSupported) { RunScalar(arena); return; }
        var x = arena.CenteredInput(_in, _inElements, _layer.InputZeroPoint);
        var y = arena.Tensors[_out];
        var l = _layer;
        int c = _channels, vectorChannels = c / Lanes * Lanes, tapCount = 2 * _pairs;
        var zero = Vector256.Create(l.OutputZeroPoint);
        var min = Vector256.Create(l.ActivationMin);
        var max = Vector256.Create(l.ActivationMax);
        short** taps = stackalloc short*[tapCount];
        fixed (short* xp = x)
        fixed (short* yp = y)
        fixed (short* zp = _zeros)
        fixed (short* wp = _pairedWeights)
        fixed (int* bias = l.Bias)
        fixed (int* wScalar = _weights)
        fixed (int* offsets = _tapOffsets)
        {
            for (int oy = 0; oy < _outH; oy++)
                for (int ox = 0; ox < _outW; ox++)
                {
                    // Tap addresses of this pixel, in [kh][kw] order; padded taps (and the odd one out) read zeros.
                    int* o = offsets + (oy * _outW + ox) * tapCount;
                    for (int t = 0; t < tapCount; t++) taps[t] = o[t] < 0 ? zp : xp + o[t];
                    short* outPixel = yp + (oy * _outW + ox) * c;
                    short* w = wp;
                    int ch = 0;
                    for (; ch + 2 * Lanes <= vectorChannels; ch += 2 * Lanes)
                    {
                        Vector256<int> lo = Vector256<int>.Zero, hi = Vector256<int>.Zero;
                        for (int j = 0; j < _pairs; j++, w += 4 * Lanes)
                        {
                            var a = Avx.LoadVector256(taps[2 * j] + ch);
                            var b = Avx.LoadVector256(taps[2 * j + 1] + ch);
                            lo += Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(a, b), Avx.LoadVector256(w));
                            hi += Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(a, b), Avx.LoadVector256(w + 2 * Lanes));
                        }
                        var first = Avx2.Permute2x128(lo, hi, 0x20) + Avx.LoadVector256(bias + ch);
                        var second = Avx2.Permute2x128(lo, hi, 0x31) + Avx.LoadVector256(bias + ch + Lanes);
                        LayerKernel.StoreRow(outPixel + ch, first, _lanes[ch / Lanes], zero, min, max, Lanes);
                        LayerKernel.StoreRow(outPixel + ch + Lanes, second, _lanes[ch / Lanes + 1], zero, min, max, Lanes);
                    }
                    if (ch < vectorChannels)
                    {
                        Vector128<int> lo = Vector128<int>.Zero, hi = Vector128<int>.Zero;
                        for (int j = 0; j < _pairs; j++, w += 2 * Lanes)
                        {
                            var a = Sse2.LoadVector128(taps[2 * j] + ch);
                            var b = Sse2.LoadVector128(taps[2 * j + 1] + ch);
                            lo += Sse2.MultiplyAddAdjacent(Sse2.UnpackLow(a, b), Sse2.LoadVector128(w));
                            hi += Sse2.MultiplyAddAdjacent(Sse2.UnpackHigh(a, b), Sse2.LoadVector128(w + Lanes));
                        }
                        LayerKernel.StoreRow(outPixel + ch, Vector256.Create(lo, hi) + Avx.LoadVector256(bias + ch), _lanes[ch / Lanes], zero, min, max, Lanes);
                        ch += Lanes;
                    }
                    for (; ch < c; ch++)
                    {
                        int acc = bias[ch];
                        for (int t = 0; t < _taps; t++) acc += wScalar[t * c + ch] * taps[t][ch];
                        outPixel[ch] = Store(l.Multipliers[ch].Requantize(acc), l.OutputZeroPoint, l.ActivationMin, l.ActivationMax);
                    }
                }
        }
    }
}
