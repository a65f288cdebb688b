using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MixBit.Memory;

namespace MixBit.Integer.Engine;

/// <summary>
/// Convolution (any kernel, stride, padding, dilation, groups) and Linear (a 1 x 1 convolution of a 1 x 1 map whose
/// channels are the flattened HWC input). Scalar path: the contract's sum over in-bounds taps. SIMD path: a GEMM of
/// rows of K = (in / groups) * kh * kw int16 inputs (the input pixels themselves for a pointwise layer, im2col rows
/// otherwise, padded taps 0) with the weights re-laid out once as int16 pairs [K/2][out, padded to 8]: one vpmaddwd
/// multiplies a broadcast input pair with the pairs of 8 output channels and adds the two products into int32 lanes,
/// exactly (|x| &lt;= 255, |w| &lt;= 127: each product below 2^15, each pair sum below 2^16). Accumulators stay below 2^31
/// by the converter's bound check.
/// </summary>
internal sealed class LayerKernel : OpKernel
{
    private const int Lanes = FixedPointMultiplier.Lanes.Count;
    private const int RowBlock = 32;

    private readonly QuantizedLayer _layer;
    private readonly int _in, _out, _inH, _inW, _inC, _outH, _outW, _outC, _inElements;
    private readonly KernelWindow _window;
    private readonly int _groups, _inPerGroup, _outPerGroup, _k;
    private readonly int[] _weights;

    // SIMD layout: per group, pairs x padded output channels of int16 pairs; bias and multipliers per padded channel.
    private readonly int _pairs, _outPadded;
    private readonly RowSource _rows;
    private readonly int _planeH, _planeW;
    // Byte offset of input pair j from its row's base: 4j for contiguous rows, (ky * plane width + 2m) * 2 on a plane.
    private readonly int[] _pairOffsets;
    private readonly int[] _pairedWeights, _paddedBias;
    private readonly FixedPointMultiplier.Lanes[] _lanes;

    public LayerKernel(QuantizedLayer layer, QuantizedTensor input, QuantizedTensor output)
    {
        _layer = layer;
        (_in, _out) = (input.Id, output.Id);
        _inElements = input.Elements;
        bool linear = layer.Kind == DeployedOpKind.Linear;
        (_inH, _inW, _inC) = linear ? (1, 1, input.Elements) : (input.Height, input.Width, input.Channels);
        (_outH, _outW, _outC) = (output.Height, output.Width, output.Channels);
        _window = layer.Window ?? new KernelWindow(1, 1, 1, 1, 0, 0, 0, 0);
        (_groups, _inPerGroup) = (layer.Groups, layer.InChannelsPerGroup);
        _outPerGroup = layer.OutChannels / _groups;
        _k = _inPerGroup * _window.Taps;
        _weights = layer.WeightCodes();

        var win = _window;
        _rows = _groups == 1 && win is { KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, HasPadding: false } ? RowSource.Input
            : _groups == 1 && _inC == 1 && win.DilationH == 1 && win.DilationW == 1 ? RowSource.Plane
            : RowSource.Im2Col;
        // On a plane, each kernel row is its own run of pairs (the odd one out reads one column further, times 0).
        int pairsPerRow = (win.KernelW + 1) / 2;
        _pairs = _rows == RowSource.Plane ? win.KernelH * pairsPerRow : (_k + 1) / 2;
        (_planeH, _planeW) = (_inH + win.PadTop + win.PadBottom, _inW + win.PadLeft + win.PadRight + 1);
        _pairOffsets = Enumerable.Range(0, _pairs)
            .Select(j => _rows == RowSource.Plane ? (j / pairsPerRow * _planeW + 2 * (j % pairsPerRow)) * sizeof(short) : 4 * j).ToArray();
        int WeightOfPair(int oc, int j, int half)
        {
            if (_rows != RowSource.Plane) return 2 * j + half < _k ? _weights[oc * _k + 2 * j + half] : 0;
            int kx = 2 * (j % pairsPerRow) + half;
            return kx < win.KernelW ? _weights[oc * _k + j / pairsPerRow * win.KernelW + kx] : 0;
        }
        _outPadded = (_outPerGroup + Lanes - 1) / Lanes * Lanes;
        _pairedWeights = new int[_groups * _pairs * _outPadded];
        _paddedBias = new int[_groups * _outPadded];
        _lanes = new FixedPointMultiplier.Lanes[_groups * _outPadded / Lanes];
        for (int g = 0; g < _groups; g++)
        {
            for (int o = 0; o < _outPerGroup; o++)
            {
                int oc = g * _outPerGroup + o;
                _paddedBias[g * _outPadded + o] = layer.Bias[oc];
                for (int j = 0; j < _pairs; j++)
                    _pairedWeights[(g * _pairs + j) * _outPadded + o] = (ushort)WeightOfPair(oc, j, 0) | (WeightOfPair(oc, j, 1) << 16);
            }
            for (int b = 0; b < _outPadded / Lanes; b++)
            {
                int first = g * _outPerGroup + b * Lanes, count = Math.Min(Lanes, _outPerGroup - b * Lanes);
                _lanes[g * _outPadded / Lanes + b] = new FixedPointMultiplier.Lanes(layer.Multipliers.AsSpan(first, count));
            }
        }
    }

    /// <summary>Where the GEMM's rows of input pairs come from.</summary>
    private enum RowSource
    {
        /// <summary>The input pixels themselves (pointwise, Linear).</summary>
        Input,
        /// <summary>A zero-padded copy of a one-channel input: a row is the window's top-left corner, pairs are read along kernel rows.</summary>
        Plane,
        /// <summary>im2col rows in scratch.</summary>
        Im2Col,
    }

    public override int ColumnShorts => _rows switch
    {
        RowSource.Input => 0,
        RowSource.Plane => _planeH * _planeW + EngineArena.Spare,
        _ => RowBlock * 2 * _pairs + EngineArena.Spare,
    };

    public override void RunScalar(EngineArena arena)
    {
        var x = arena.Tensors[_in];
        var y = arena.Tensors[_out];
        var l = _layer;
        var win = _window;
        for (int oy = 0; oy < _outH; oy++)
        {
            var (ky0, ky1) = KernelWindow.ValidTaps(oy, win.StrideH, win.PadTop, win.DilationH, win.KernelH, _inH);
            for (int ox = 0; ox < _outW; ox++)
            {
                var (kx0, kx1) = KernelWindow.ValidTaps(ox, win.StrideW, win.PadLeft, win.DilationW, win.KernelW, _inW);
                for (int oc = 0; oc < l.OutChannels; oc++)
                {
                    int g = oc / _outPerGroup;
                    int acc = l.Bias[oc];
                    for (int ky = ky0; ky < ky1; ky++)
                        for (int kx = kx0; kx < kx1; kx++)
                        {
                            int iy = oy * win.StrideH - win.PadTop + ky * win.DilationH, ix = ox * win.StrideW - win.PadLeft + kx * win.DilationW;
                            int xBase = (iy * _inW + ix) * _inC + g * _inPerGroup, wBase = (oc * win.Taps + ky * win.KernelW + kx) * _inPerGroup;
                            for (int i = 0; i < _inPerGroup; i++) acc += _weights[wBase + i] * (x[xBase + i] - l.InputZeroPoint);
                        }
                    y[(oy * _outW + ox) * _outC + oc] = Store(l.Multipliers[oc].Requantize(acc), l.OutputZeroPoint, l.ActivationMin, l.ActivationMax);
                }
            }
        }
    }

    public override unsafe void RunSimd(EngineArena arena)
    {
        if (!Avx2.IsSupported) { RunScalar(arena); return; }
        var x = arena.CenteredInput(_in, _inElements, _layer.InputZeroPoint);
        var y = arena.Tensors[_out];
        int pixels = _outH * _outW;
        var win = _window;
        short** rowBases = stackalloc short*[RowBlock];
        fixed (short* xp = x)
        fixed (short* cp = arena.Columns)
        {
            if (_rows == RowSource.Plane) FillPlane(xp, cp);
            for (int g = 0; g < _groups; g++)
                for (int p0 = 0; p0 < pixels; p0 += RowBlock)
                {
                    int rows = Math.Min(RowBlock, pixels - p0);
                    if (_rows == RowSource.Im2Col) Im2Col(x, g, p0, rows, arena.Columns);
                    for (int r = 0; r < rows; r++)
                    {
                        int p = p0 + r;
                        rowBases[r] = _rows switch
                        {
                            RowSource.Input => xp + p * _inC,
                            RowSource.Plane => cp + p / _outW * win.StrideH * _planeW + p % _outW * win.StrideW,
                            _ => cp + r * 2 * _pairs,
                        };
                    }
                    Gemm(rowBases, p0, rows, g, y);
                }
        }
    }

    /// <summary>The one-channel input, already centred, in a zero-padded plane of (H + pads) x (W + pads + 1).</summary>
    private unsafe void FillPlane(short* x, short* plane)
    {
        new Span<short>(plane, _planeH * _planeW).Clear();
        for (int iy = 0; iy < _inH; iy++)
            new ReadOnlySpan<short>(x + iy * _inW, _inW).CopyTo(new Span<short>(plane + (iy + _window.PadTop) * _planeW + _window.PadLeft, _inW));
    }

    /// <summary>
    /// Rows of 2 * pairs int16 (the last one 0 when K is odd) for output pixels [p0, p0 + rows) of group g; padded taps 0.
    /// The in-bounds taps of one kernel row are contiguous in NHWC when groups = 1 and dilation = 1 (one copy of
    /// taps * in shorts), otherwise one copy per tap.
    /// </summary>
    private unsafe void Im2Col(short[] x, int g, int p0, int rows, short[] columns)
    {
        var win = _window;
        int stride = 2 * _pairs, cpg = _inPerGroup;
        bool contiguous = _groups == 1 && win.DilationW == 1;
        columns.AsSpan(0, rows * stride).Clear();
        fixed (short* xp = x)
        fixed (short* cp = columns)
        {
            for (int r = 0; r < rows; r++)
            {
                int oy = (p0 + r) / _outW, ox = (p0 + r) % _outW;
                var (ky0, ky1) = KernelWindow.ValidTaps(oy, win.StrideH, win.PadTop, win.DilationH, win.KernelH, _inH);
                var (kx0, kx1) = KernelWindow.ValidTaps(ox, win.StrideW, win.PadLeft, win.DilationW, win.KernelW, _inW);
                int ix0 = ox * win.StrideW - win.PadLeft;
                short* row = cp + r * stride;
                for (int ky = ky0; ky < ky1; ky++)
                {
                    short* source = xp + (oy * win.StrideH - win.PadTop + ky * win.DilationH) * _inW * _inC + g * cpg;
                    if (contiguous)
                        Copy(source + (ix0 + kx0) * _inC, row + (ky * win.KernelW + kx0) * cpg, (kx1 - kx0) * cpg);
                    else
                        for (int kx = kx0; kx < kx1; kx++)
                            Copy(source + (ix0 + kx * win.DilationW) * _inC, row + (ky * win.KernelW + kx) * cpg, cpg);
                }
            }
        }
    }

    private static unsafe void Copy(short* source, short* destination, int count)
    {
        for (int i = 0; i < count; i++) destination[i] = source[i];
    }

    /// <summary>
    /// Output pixels [p0, p0 + rows) of group g; row r's input pairs are the int32 reads at rowBases[r] + pair offset j
    /// (two adjacent int16; a pair running past a row reads a neighbour, times a zero weight). Blocks of 4 rows x 8 output
    /// channels keep 4 independent accumulator chains.
    /// </summary>
    private unsafe void Gemm(short** rowBases, int p0, int rows, int g, short[] y)
    {
        var l = _layer;
        var zero = Vector256.Create(l.OutputZeroPoint);
        var min = Vector256.Create(l.ActivationMin);
        var max = Vector256.Create(l.ActivationMax);
        int blocks = _outPadded / Lanes;
        fixed (int* wAll = _pairedWeights)
        fixed (int* offsets = _pairOffsets)
        fixed (short* outAll = y)
        {
            for (int b = 0; b < blocks; b++)
            {
                int* w = wAll + g * _pairs * _outPadded + b * Lanes;
                var bias = Vector256.Create<int>(_paddedBias.AsSpan(g * _outPadded + b * Lanes, Lanes));
                ref readonly var lanes = ref _lanes[g * blocks + b];
                int valid = Math.Min(Lanes, _outPerGroup - b * Lanes);
                int channel = g * _outPerGroup + b * Lanes;
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    byte* a0 = (byte*)rowBases[r], a1 = (byte*)rowBases[r + 1], a2 = (byte*)rowBases[r + 2], a3 = (byte*)rowBases[r + 3];
                    Vector256<int> acc0 = bias, acc1 = bias, acc2 = bias, acc3 = bias;
                    for (int j = 0; j < _pairs; j++)
                    {
                        var wv = Avx.LoadVector256(w + j * _outPadded).AsInt16();
                        int o = offsets[j];
                        acc0 += Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.ReadUnaligned<int>(a0 + o)).AsInt16(), wv);
                        acc1 += Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.ReadUnaligned<int>(a1 + o)).AsInt16(), wv);
                        acc2 += Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.ReadUnaligned<int>(a2 + o)).AsInt16(), wv);
                        acc3 += Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.ReadUnaligned<int>(a3 + o)).AsInt16(), wv);
                    }
                    StoreRow(outAll + (p0 + r) * _outC + channel, acc0, lanes, zero, min, max, valid);
                    StoreRow(outAll + (p0 + r + 1) * _outC + channel, acc1, lanes, zero, min, max, valid);
                    StoreRow(outAll + (p0 + r + 2) * _outC + channel, acc2, lanes, zero, min, max, valid);
                    StoreRow(outAll + (p0 + r + 3) * _outC + channel, acc3, lanes, zero, min, max, valid);
                }
                for (; r < rows; r++)
                {
                    byte* a0 = (byte*)rowBases[r];
                    var acc = bias;
                    for (int j = 0; j < _pairs; j++)
                        acc += Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.ReadUnaligned<int>(a0 + offsets[j])).AsInt16(), Avx.LoadVector256(w + j * _outPadded).AsInt16());
                    StoreRow(outAll + (p0 + r) * _outC + channel, acc, lanes, zero, min, max, valid);
                }
            }
        }
    }

    /// <summary>clamp(requantize(acc) + zero point) of 8 channels into int16, the first <paramref name="valid"/> of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void StoreRow(short* destination, Vector256<int> acc, in FixedPointMultiplier.Lanes lanes,
        Vector256<int> zero, Vector256<int> min, Vector256<int> max, int valid)
    {
        var v = Vector256.Min(Vector256.Max(lanes.Requantize(acc) + zero, min), max);
        var narrow = Vector256.Narrow(v, v).GetLower();
        if (valid == Lanes) { narrow.Store(destination); return; }
        for (int i = 0; i < valid; i++) destination[i] = narrow.GetElement(i);
    }
}
