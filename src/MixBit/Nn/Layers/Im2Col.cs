using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MixBit.Nn.Layers;

/// <summary>
/// im2col for one image: col[(c*kH + ky)*kW + kx, oy*outW + ox] = x[c, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW]
/// (zero outside the image), so the convolution is W[C_out, C_in*kH*kW] * col. Rows of col are <c>pitch</c> floats apart,
/// so that the images of a block sit side by side in one row-major matrix. Unpack is its adjoint (col2im).
/// Rows of col are short (2 to 112 floats), so the copies, gathers (stride 2 vectorised) and zero fills are inline
/// loops rather than calls.
/// </summary>
internal static class Im2Col
{
    public static void Pack(in ConvGeometry g, int channels, ReadOnlySpan<float> x, Span<float> col, int pitch)
    {
        int outHw = g.OutH * g.OutW;
        _ = x[channels * g.InH * g.InW - 1];
        _ = col[(channels * g.KernelH * g.KernelW - 1) * pitch + outHw - 1];
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float rc = ref MemoryMarshal.GetReference(col);
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    ref float dst = ref Unsafe.Add(ref rc, ((c * g.KernelH + ky) * g.KernelW + kx) * pitch);
                    var (lo, hi) = g.ValidColumns(kx);
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        ref float row = ref Unsafe.Add(ref dst, oy * g.OutW);
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.InH || lo >= hi) { Zero(ref row, g.OutW); continue; }
                        Zero(ref row, lo);
                        Zero(ref Unsafe.Add(ref row, hi), g.OutW - hi);
                        int ix = lo * g.StrideW - g.PadLeft + kx * g.DilationW;
                        Gather(ref Unsafe.Add(ref rx, (c * g.InH + iy) * g.InW + ix), g.StrideW, ref Unsafe.Add(ref row, lo), hi - lo);
                    }
                }
    }

    /// <summary>dx = col2im(col): overwrites <paramref name="dx"/> with the sum of every column entry at its input position.</summary>
    public static void Unpack(in ConvGeometry g, int channels, ReadOnlySpan<float> col, int pitch, Span<float> dx)
    {
        dx[..(channels * g.InH * g.InW)].Clear();
        int outHw = g.OutH * g.OutW;
        _ = col[(channels * g.KernelH * g.KernelW - 1) * pitch + outHw - 1];
        ref float rc = ref MemoryMarshal.GetReference(col);
        ref float rx = ref MemoryMarshal.GetReference(dx);
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    ref float src = ref Unsafe.Add(ref rc, ((c * g.KernelH + ky) * g.KernelW + kx) * pitch);
                    var (lo, hi) = g.ValidColumns(kx);
                    if (lo >= hi) continue;
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.InH) continue;
                        int ix = lo * g.StrideW - g.PadLeft + kx * g.DilationW;
                        ref float d = ref Unsafe.Add(ref rx, (c * g.InH + iy) * g.InW + ix);
                        ref float s = ref Unsafe.Add(ref src, oy * g.OutW + lo);
                        int n = hi - lo, q = 0;
                        if (g.StrideW == 1)
                            for (; q + 8 <= n; q += 8)
                                (Vector256.LoadUnsafe(ref d, (nuint)q) + Vector256.LoadUnsafe(ref s, (nuint)q)).StoreUnsafe(ref d, (nuint)q);
                        for (; q < n; q++) Unsafe.Add(ref d, q * g.StrideW) += Unsafe.Add(ref s, q);
                    }
                }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(ref float d, int n)
    {
        int q = 0;
        for (; q + 8 <= n; q += 8) Vector256<float>.Zero.StoreUnsafe(ref d, (nuint)q);
        for (; q < n; q++) Unsafe.Add(ref d, q) = 0f;
    }

    /// <summary>d[q] = s[q * stride] for q &lt; n: vector copies for stride 1 (reading only s[0 .. n)), even lanes of two vectors for stride 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather(ref float s, int stride, ref float d, int n)
    {
        int q = 0;
        if (stride == 1)
        {
            // The row's end as one overlapping vector (d and s never overlap): rows of 7 to 15 floats (8x8 and 16x16 maps
            // with padding) otherwise ended in up to 7 scalar copies each.
            if (n >= 8)
            {
                for (; q + 8 <= n; q += 8) Vector256.LoadUnsafe(ref s, (nuint)q).StoreUnsafe(ref d, (nuint)q);
                if (q < n) Vector256.LoadUnsafe(ref s, (nuint)(n - 8)).StoreUnsafe(ref d, (nuint)(n - 8));
                return;
            }
            if (n >= 4)
            {
                Vector128.LoadUnsafe(ref s).StoreUnsafe(ref d);
                Vector128.LoadUnsafe(ref s, (nuint)(n - 4)).StoreUnsafe(ref d, (nuint)(n - 4));
                return;
            }
        }
        else if (stride == 2)
        {
            var evens = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            // The last pair read ends at s[2q + 15], inside the row while 2q + 15 <= 2(n - 1).
            for (; 2 * q + 16 <= 2 * n - 1; q += 8)
            {
                var a = Vector256.Shuffle(Vector256.LoadUnsafe(ref s, (nuint)(2 * q)), evens);
                var b = Vector256.Shuffle(Vector256.LoadUnsafe(ref s, (nuint)(2 * q + 8)), evens);
                Vector256.Create(a.GetLower(), b.GetLower()).StoreUnsafe(ref d, (nuint)q);
            }
        }
        for (; q < n; q++) Unsafe.Add(ref d, q) = Unsafe.Add(ref s, q * stride);
    }
}
