using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MixBit.Tensors;

namespace MixBit.Nn.Layers;

/// <summary>
/// Depthwise convolution on small maps with channels in vector lanes: 8 channels of one image are copied into a
/// zero-padded plane P of Ph x Pw positions of 8 floats, P[(py*Pw + px)*8 + l] = x[c0 + l, py - pT, px - pL], so that
/// every output position is 8 channels at once:
/// y[c0 + ·, oy, ox] = sum over (ky, kx) of w[c0 + ·, ky, kx] * P[oy*sH + ky*dH, ox*sW + kx*dW], for any stride and dilation.
/// The work per output position is one FMA per tap whatever the map size (a planar kernel vectorised along rows spends most
/// of its time on rows of 2-7 floats on the 4x4 and 7x7 maps of MobileNets, and splits planes into stride phases), and
/// the moves between planes and lanes are 8x8 transposes (AVX) over the flattened positions. Measured here (MobileNetV1,
/// 1 thread) about as fast as planar loops on 48x48 to 112x112 maps and 2-5x faster on 14x14 and smaller ones.
/// Channels beyond the last multiple of 8 run in zero lanes.
/// </summary>
internal static class BlockedDepthwise
{
    public const int Lanes = 8;

    private static (int Ph, int Pw) Padded(in ConvGeometry g)
        => ((g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1, (g.OutW - 1) * g.StrideW + (g.KernelW - 1) * g.DilationW + 1);

    /// <summary>Floats of per-worker scratch: the padded input plane and its gradient, and the output (gradient) positions.</summary>
    public static int ScratchLength(in ConvGeometry g)
    {
        var (ph, pw) = Padded(g);
        return (2 * ph * pw + g.OutH * g.OutW) * Lanes;
    }

    public static int Blocks(int channels) => (channels + Lanes - 1) / Lanes;

    /// <summary>The geometry of one call: where each input position lands in P, and each tap's offset from an output's window.</summary>
    private readonly ref struct Plan
    {
        public readonly int Ph, Pw, Taps, OutHw, InHw;
        public readonly Span<int> InputAt, TapAt;
        public readonly bool InputInside; // every input position lies inside P (else the ones outside are read as zero gradient)

        public Plan(in ConvGeometry g, Span<int> inputAt, Span<int> tapAt)
        {
            (Ph, Pw) = Padded(g);
            (Taps, OutHw, InHw) = (g.KernelH * g.KernelW, g.OutH * g.OutW, g.InH * g.InW);
            InputAt = inputAt;
            TapAt = tapAt;
            InputInside = true;
            for (int iy = 0, q = 0; iy < g.InH; iy++)
                for (int ix = 0; ix < g.InW; ix++, q++)
                {
                    int py = iy + g.PadTop, px = ix + g.PadLeft;
                    bool inside = py < Ph && px < Pw;
                    InputInside &= inside;
                    inputAt[q] = inside ? (py * Pw + px) * Lanes : -1;
                }
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                    tapAt[ky * g.KernelW + kx] = (ky * g.DilationH * Pw + kx * g.DilationW) * Lanes;
        }

        /// <summary>Offset in P of the window of output position (oy, ox).</summary>
        public int WindowAt(in ConvGeometry g, int oy, int ox) => (oy * g.StrideH * Pw + ox * g.StrideW) * Lanes;
    }

    /// <summary>
    /// Forward of channel blocks [b0, b1) (channels [8*b0, 8*b1)) for images [n0, n1): y = clamp(conv(x, w) + bias, lo, hi).
    /// The geometry is worked out once for all the blocks (on 2x2 maps it cost as much as a block's arithmetic).
    /// </summary>
    public static void Forward(in ConvGeometry g, float[] x, float[] y, int channels, int b0, int b1, int n0, int n1, float[] w, float[]? bias,
        float lo, float hi, Span<float> scratch)
    {
        var plan = new Plan(g, stackalloc int[g.InH * g.InW], stackalloc int[g.KernelH * g.KernelW]);
        var p = scratch[..(plan.Ph * plan.Pw * Lanes)];
        var o = scratch.Slice(2 * p.Length, plan.OutHw * Lanes);
        Span<Vector256<float>> wv = stackalloc Vector256<float>[plan.Taps];
        p.Clear(); // the border stays zero; every image rewrites the interior of the lanes it has
        for (int block = b0; block < b1; block++)
        {
            int lanes = Math.Min(Lanes, channels - block * Lanes);
            if (lanes < Lanes && block > b0) p.Clear(); // lanes beyond the last channel must read zero, not the previous block
            ForwardBlock(g, plan, x, y, channels, block, lanes, n0, n1, w, bias, lo, hi, p, o, wv);
        }
    }

    private static void ForwardBlock(in ConvGeometry g, in Plan plan, float[] x, float[] y, int channels, int block, int lanes, int n0, int n1,
        float[] w, float[]? bias, float lo, float hi, Span<float> p, Span<float> o, Span<Vector256<float>> wv)
    {
        int c0 = block * Lanes;
        WeightVectors(w, c0, lanes, plan.Taps, wv);
        var vb = LaneVector(bias, c0, lanes);
        var vlo = Vector256.Create(lo); var vhi = Vector256.Create(hi);
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float ro = ref MemoryMarshal.GetReference(o);
        ref Vector256<float> rw = ref MemoryMarshal.GetReference(wv);
        ref int rt = ref MemoryMarshal.GetReference(plan.TapAt);
        for (int n = n0; n < n1; n++)
        {
            ToLanes(x.AsSpan((n * channels + c0) * plan.InHw), plan.InHw, lanes, plan.InputAt, p);
            // Eight, then four positions of a row per pass over the taps: each weight vector loaded once feeds eight (four)
            // independent FMA chains, enough to keep both FMA units busy (one chain per position waits on its last FMA).
            // A row's last positions run as one more pass that overlaps the previous one (it writes the same values
            // again): on 7x7 maps the three positions after the first four took single-chain passes, three times the
            // time of the four.
            int step = g.StrideW * Lanes, width = g.OutW;
            for (int oy = 0; oy < g.OutH; oy++)
                for (int ox = 0; ox < width;)
                {
                    if (width - ox >= 8 || (width >= 8 && width - ox > 4))
                    {
                        int at = Math.Min(ox, width - 8); // the last pass of a row may overlap the previous one
                        PassOfEight(ref WindowOf(ref rp, plan, g, oy, at), ref rw, ref rt, plan.Taps, step, ref OutputAt(ref ro, oy * width + at), vb, vlo, vhi);
                        ox = at + 8;
                    }
                    else if (width >= 4)
                    {
                        int at = Math.Min(ox, width - 4);
                        PassOfFour(ref WindowOf(ref rp, plan, g, oy, at), ref rw, ref rt, plan.Taps, step, ref OutputAt(ref ro, oy * width + at), vb, vlo, vhi);
                        ox = at + 4;
                    }
                    else
                    {
                        // Rows of 1 to 3 positions (2x2 and 1x1 maps): one FMA chain per position.
                        ref float window = ref WindowOf(ref rp, plan, g, oy, ox);
                        var acc = Vector256<float>.Zero;
                        for (int t = 0; t < plan.Taps; t++)
                            acc = Vector256.FusedMultiplyAdd(Unsafe.Add(ref rw, t), Vector256.LoadUnsafe(ref window, (nuint)Unsafe.Add(ref rt, t)), acc);
                        Vector256.MinNative(Vector256.MaxNative(acc + vb, vlo), vhi).StoreUnsafe(ref OutputAt(ref ro, oy * width + ox));
                        ox++;
                    }
                }
            FromLanes(o, plan.OutHw, lanes, null, y.AsSpan((n * channels + c0) * plan.OutHw));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float WindowOf(ref float p, in Plan plan, in ConvGeometry g, int oy, int ox) => ref Unsafe.Add(ref p, plan.WindowAt(g, oy, ox));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float OutputAt(ref float o, int position) => ref Unsafe.Add(ref o, position * Lanes);

    /// <summary>Eight output positions <paramref name="step"/> floats apart in P: clamp(sum over taps of w_t * P[window + tap_t] + b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PassOfEight(ref float window, ref Vector256<float> rw, ref int rt, int taps, int step, ref float dst,
        Vector256<float> vb, Vector256<float> vlo, Vector256<float> vhi)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int t = 0; t < taps; t++)
        {
            var wt = Unsafe.Add(ref rw, t);
            ref float tap = ref Unsafe.Add(ref window, Unsafe.Add(ref rt, t));
            a0 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap), a0);
            a1 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)step), a1);
            a2 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(2 * step)), a2);
            a3 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(3 * step)), a3);
            a4 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(4 * step)), a4);
            a5 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(5 * step)), a5);
            a6 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(6 * step)), a6);
            a7 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(7 * step)), a7);
        }
        Vector256.MinNative(Vector256.MaxNative(a0 + vb, vlo), vhi).StoreUnsafe(ref dst);
        Vector256.MinNative(Vector256.MaxNative(a1 + vb, vlo), vhi).StoreUnsafe(ref dst, Lanes);
        Vector256.MinNative(Vector256.MaxNative(a2 + vb, vlo), vhi).StoreUnsafe(ref dst, 2 * Lanes);
        Vector256.MinNative(Vector256.MaxNative(a3 + vb, vlo), vhi).StoreUnsafe(ref dst, 3 * Lanes);
        Vector256.MinNative(Vector256.MaxNative(a4 + vb, vlo), vhi).StoreUnsafe(ref dst, 4 * Lanes);
        Vector256.MinNative(Vector256.MaxNative(a5 + vb, vlo), vhi).StoreUnsafe(ref dst, 5 * Lanes);
        Vector256.MinNative(Vector256.MaxNative(a6 + vb, vlo), vhi).StoreUnsafe(ref dst, 6 * Lanes);
        Vector256.MinNative(Vector256.MaxNative(a7 + vb, vlo), vhi).StoreUnsafe(ref dst, 7 * Lanes);
    }

    /// <summary>As <see cref="PassOfEight"/> for four positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PassOfFour(ref float window, ref Vector256<float> rw, ref int rt, int taps, int step, ref float dst,
        Vector256<float> vb, Vector256<float> vlo, Vector256<float> vhi)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int t = 0; t < taps; t++)
        {
            var wt = Unsafe.Add(ref rw, t);
            ref float tap = ref Unsafe.Add(ref window, Unsafe.Add(ref rt, t));
            a0 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap), a0);
            a1 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)step), a1);
            a2 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(2 * step)), a2);
            a3 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref tap, (nuint)(3 * step)), a3);
        }
        Vector256.MinNative(Vector256.MaxNative(a0 + vb, vlo), vhi).StoreUnsafe(ref dst);
        Vector256.MinNative(Vector256.MaxNative(a1 + vb, vlo), vhi).StoreUnsafe(ref dst, Lanes);
        Vector256.MinNative(Vector256.MaxNative(a2 + vb, vlo), vhi).StoreUnsafe(ref dst, 2 * Lanes);
        Vector256.MinNative(Vector256.MaxNative(a3 + vb, vlo), vhi).StoreUnsafe(ref dst, 3 * Lanes);
    }

    /// <summary>
    /// Backward of channels [8*block, 8*block + 8) over all <paramref name="images"/>: adds dL/dw into <paramref name="dW"/>
    /// (per tap, summed over images then positions in order, so independent of threads) and, when <paramref name="dx"/> is
    /// given, overwrites dL/dx.
    /// </summary>
    public static void Backward(in ConvGeometry g, float[] x, float[] dy, float[]? dx, int channels, int images, int block,
        float[] w, float[] dW, Span<float> scratch)
    {
        var plan = new Plan(g, stackalloc int[g.InH * g.InW], stackalloc int[g.KernelH * g.KernelW]);
        int c0 = block * Lanes, lanes = Math.Min(Lanes, channels - c0), planeLength = plan.Ph * plan.Pw * Lanes;
        var p = scratch[..planeLength];
        var dp = scratch.Slice(planeLength, planeLength);
        var d = scratch.Slice(2 * planeLength, plan.OutHw * Lanes);
        Span<Vector256<float>> wv = stackalloc Vector256<float>[plan.Taps];
        Span<Vector256<float>> dwv = stackalloc Vector256<float>[plan.Taps];
        WeightVectors(w, c0, lanes, plan.Taps, wv);
        dwv.Clear();
        Span<int> outputAt = stackalloc int[plan.OutHw];
        for (int q = 0; q < plan.OutHw; q++) outputAt[q] = q * Lanes;
        ref float rp = ref MemoryMarshal.GetReference(p);
        ref float rdp = ref MemoryMarshal.GetReference(dp);
        ref float rd = ref MemoryMarshal.GetReference(d);
        ref int rt = ref MemoryMarshal.GetReference(plan.TapAt);
        p.Clear();
        d.Clear(); // lanes beyond the last channel stay zero
        for (int n = 0; n < images; n++)
        {
            ToLanes(x.AsSpan((n * channels + c0) * plan.InHw), plan.InHw, lanes, plan.InputAt, p);
            ToLanes(dy.AsSpan((n * channels + c0) * plan.OutHw), plan.OutHw, lanes, outputAt, d);
            if (dx is not null) dp.Clear();
            // Tap by tap over all positions: the tap's weight-gradient accumulator stays in a register.
            for (int t = 0; t < plan.Taps; t++)
            {
                var acc = dwv[t];
                var wt = wv[t];
                int off = Unsafe.Add(ref rt, t);
                for (int oy = 0, q = 0; oy < g.OutH; oy++)
                    for (int ox = 0; ox < g.OutW; ox++, q++)
                    {
                        var dv = Vector256.LoadUnsafe(ref rd, (nuint)(q * Lanes));
                        nuint at = (nuint)(plan.WindowAt(g, oy, ox) + off);
                        acc = Vector256.FusedMultiplyAdd(dv, Vector256.LoadUnsafe(ref rp, at), acc);
                        if (dx is not null) Vector256.FusedMultiplyAdd(wt, dv, Vector256.LoadUnsafe(ref rdp, at)).StoreUnsafe(ref rdp, at);
                    }
                dwv[t] = acc;
            }
            if (dx is not null) FromLanes(dp, plan.InHw, lanes, plan.InputAt, dx.AsSpan((n * channels + c0) * plan.InHw));
        }
        for (int t = 0; t < plan.Taps; t++)
            for (int l = 0; l < lanes; l++) dW[(c0 + l) * plan.Taps + t] += dwv[t][l];
    }

    /// <summary>
    /// blocked[at[q] + l] = planes[l*count + q] for q &lt; count, l &lt; lanes (lanes beyond stay as they are: zero);
    /// positions with at[q] &lt; 0 are skipped. Groups of 8 positions of 8 channels move as one 8x8 transpose.
    /// </summary>
    private static void ToLanes(ReadOnlySpan<float> planes, int count, int lanes, ReadOnlySpan<int> at, Span<float> blocked)
    {
        _ = planes[lanes * count - 1];
        ref float src = ref MemoryMarshal.GetReference(planes);
        ref float dst = ref MemoryMarshal.GetReference(blocked);
        int q = 0;
        if (Avx.IsSupported && lanes == Lanes)
            for (; q + Lanes <= count; q += Lanes)
            {
                if (at[q] < 0 || at[q + Lanes - 1] < 0) break;
                Transpose(ref Unsafe.Add(ref src, q), count, out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
                r0.StoreUnsafe(ref dst, (nuint)at[q]); r1.StoreUnsafe(ref dst, (nuint)at[q + 1]);
                r2.StoreUnsafe(ref dst, (nuint)at[q + 2]); r3.StoreUnsafe(ref dst, (nuint)at[q + 3]);
                r4.StoreUnsafe(ref dst, (nuint)at[q + 4]); r5.StoreUnsafe(ref dst, (nuint)at[q + 5]);
                r6.StoreUnsafe(ref dst, (nuint)at[q + 6]); r7.StoreUnsafe(ref dst, (nuint)at[q + 7]);
            }
        // Four positions of 8 channels (a 2x2 map, or the rest of a 14x14 one) as two 4x4 transposes.
        if (Sse.IsSupported && lanes == Lanes && q + 4 <= count && at[q] >= 0 && at[q + 1] >= 0 && at[q + 2] >= 0 && at[q + 3] >= 0)
        {
            for (int half = 0; half < 2; half++)
            {
                ref float s = ref Unsafe.Add(ref src, 4 * half * count + q);
                var r0 = Vector128.LoadUnsafe(ref s); var r1 = Vector128.LoadUnsafe(ref s, (nuint)count);
                var r2 = Vector128.LoadUnsafe(ref s, (nuint)(2 * count)); var r3 = Vector128.LoadUnsafe(ref s, (nuint)(3 * count));
                VectorOps.Transpose4x4(ref r0, ref r1, ref r2, ref r3);
                r0.StoreUnsafe(ref dst, (nuint)(at[q] + 4 * half)); r1.StoreUnsafe(ref dst, (nuint)(at[q + 1] + 4 * half));
                r2.StoreUnsafe(ref dst, (nuint)(at[q + 2] + 4 * half)); r3.StoreUnsafe(ref dst, (nuint)(at[q + 3] + 4 * half));
            }
            q += 4;
        }
        for (; q < count; q++)
        {
            if (at[q] < 0) continue;
            for (int l = 0; l < lanes; l++) blocked[at[q] + l] = planes[l * count + q];
        }
    }

    /// <summary>
    /// planes[l*count + q] = blocked[at[q] + l] (at = q*8 when null), or 0 where at[q] &lt; 0, for q &lt; count, l &lt; lanes.
    /// The inverse of <see cref="ToLanes"/>.
    /// </summary>
    private static void FromLanes(ReadOnlySpan<float> blocked, int count, int lanes, ReadOnlySpan<int> at, Span<float> planes)
    {
        _ = planes[lanes * count - 1];
        ref float src = ref MemoryMarshal.GetReference(blocked);
        ref float dst = ref MemoryMarshal.GetReference(planes);
        bool identity = at.IsEmpty;
        int q = 0;
        if (Avx.IsSupported && lanes == Lanes)
            for (; q + Lanes <= count; q += Lanes)
            {
                if (!identity && (at[q] < 0 || at[q + Lanes - 1] < 0)) break;
                var r0 = Load(ref src, identity ? q * Lanes : at[q]); var r1 = Load(ref src, identity ? (q + 1) * Lanes : at[q + 1]);
                var r2 = Load(ref src, identity ? (q + 2) * Lanes : at[q + 2]); var r3 = Load(ref src, identity ? (q + 3) * Lanes : at[q + 3]);
                var r4 = Load(ref src, identity ? (q + 4) * Lanes : at[q + 4]); var r5 = Load(ref src, identity ? (q + 5) * Lanes : at[q + 5]);
                var r6 = Load(ref src, identity ? (q + 6) * Lanes : at[q + 6]); var r7 = Load(ref src, identity ? (q + 7) * Lanes : at[q + 7]);
                VectorOps.Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                ref float d = ref Unsafe.Add(ref dst, q);
                r0.StoreUnsafe(ref d); r1.StoreUnsafe(ref d, (nuint)count); r2.StoreUnsafe(ref d, (nuint)(2 * count)); r3.StoreUnsafe(ref d, (nuint)(3 * count));
                r4.StoreUnsafe(ref d, (nuint)(4 * count)); r5.StoreUnsafe(ref d, (nuint)(5 * count));
                r6.StoreUnsafe(ref d, (nuint)(6 * count)); r7.StoreUnsafe(ref d, (nuint)(7 * count));
            }
        if (Sse.IsSupported && lanes == Lanes && q + 4 <= count && (identity || (at[q] >= 0 && at[q + 3] >= 0 && at[q + 1] >= 0 && at[q + 2] >= 0)))
        {
            for (int half = 0; half < 2; half++)
            {
                int h = 4 * half;
                var r0 = Vector128.LoadUnsafe(ref src, (nuint)((identity ? q * Lanes : at[q]) + h));
                var r1 = Vector128.LoadUnsafe(ref src, (nuint)((identity ? (q + 1) * Lanes : at[q + 1]) + h));
                var r2 = Vector128.LoadUnsafe(ref src, (nuint)((identity ? (q + 2) * Lanes : at[q + 2]) + h));
                var r3 = Vector128.LoadUnsafe(ref src, (nuint)((identity ? (q + 3) * Lanes : at[q + 3]) + h));
                VectorOps.Transpose4x4(ref r0, ref r1, ref r2, ref r3);
                ref float d = ref Unsafe.Add(ref dst, h * count + q);
                r0.StoreUnsafe(ref d); r1.StoreUnsafe(ref d, (nuint)count); r2.StoreUnsafe(ref d, (nuint)(2 * count)); r3.StoreUnsafe(ref d, (nuint)(3 * count));
            }
            q += 4;
        }
        for (; q < count; q++)
        {
            int a = identity ? q * Lanes : at[q];
            for (int l = 0; l < lanes; l++) planes[l * count + q] = a < 0 ? 0f : blocked[a + l];
        }

        static Vector256<float> Load(ref float s, int offset) => Vector256.LoadUnsafe(ref s, (nuint)offset);
    }

    /// <summary>Loads 8 rows of 8 floats (rows <paramref name="stride"/> apart) and returns the columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref float src, int stride, out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2,
        out Vector256<float> r3, out Vector256<float> r4, out Vector256<float> r5, out Vector256<float> r6, out Vector256<float> r7)
    {
        r0 = Vector256.LoadUnsafe(ref src); r1 = Vector256.LoadUnsafe(ref src, (nuint)stride);
        r2 = Vector256.LoadUnsafe(ref src, (nuint)(2 * stride)); r3 = Vector256.LoadUnsafe(ref src, (nuint)(3 * stride));
        r4 = Vector256.LoadUnsafe(ref src, (nuint)(4 * stride)); r5 = Vector256.LoadUnsafe(ref src, (nuint)(5 * stride));
        r6 = Vector256.LoadUnsafe(ref src, (nuint)(6 * stride)); r7 = Vector256.LoadUnsafe(ref src, (nuint)(7 * stride));
        VectorOps.Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
    }

    /// <summary>wv[t] = w[c0 + ·, t] over the lanes, zero beyond the last channel.</summary>
    private static void WeightVectors(float[] w, int c0, int lanes, int taps, Span<Vector256<float>> wv)
    {
        Span<float> lane = stackalloc float[Lanes];
        for (int t = 0; t < taps; t++)
        {
            lane.Clear();
            for (int l = 0; l < lanes; l++) lane[l] = w[(c0 + l) * taps + t];
            wv[t] = Vector256.Create((ReadOnlySpan<float>)lane);
        }
    }

    /// <summary>values[c0 + ·] over the lanes (zero beyond the last channel or without values).</summary>
    private static Vector256<float> LaneVector(float[]? values, int c0, int lanes)
    {
        Span<float> lane = stackalloc float[Lanes];
        lane.Clear();
        if (values is not null) values.AsSpan(c0, lanes).CopyTo(lane);
        return Vector256.Create((ReadOnlySpan<float>)lane);
    }
}
