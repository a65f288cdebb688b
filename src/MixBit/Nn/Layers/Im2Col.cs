namespace MixBit.Nn.Layers;

/// <summary>
/// im2col for one image: col[(c*kH + ky)*kW + kx, oy*outW + ox] = x[c, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW]
/// (zero outside the image), so the convolution is W[C_out, C_in*kH*kW] * col. Unpack is its adjoint (col2im).
/// </summary>
internal static class Im2Col
{
    public static void Pack(in ConvGeometry g, int channels, ReadOnlySpan<float> x, Span<float> col)
    {
        int outHw = g.OutH * g.OutW;
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    var dst = col.Slice(((c * g.KernelH + ky) * g.KernelW + kx) * outHw, outHw);
                    var (lo, hi) = g.ValidColumns(kx);
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        var row = dst.Slice(oy * g.OutW, g.OutW);
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.InH || lo >= hi) { row.Clear(); continue; }
                        row[..lo].Clear();
                        row[hi..].Clear();
                        var src = x.Slice((c * g.InH + iy) * g.InW);
                        int ix = lo * g.StrideW - g.PadLeft + kx * g.DilationW;
                        if (g.StrideW == 1) src.Slice(ix, hi - lo).CopyTo(row[lo..hi]);
                        else for (int ox = lo; ox < hi; ox++, ix += g.StrideW) row[ox] = src[ix];
                    }
                }
    }

    /// <summary>dx = col2im(col): overwrites <paramref name="dx"/> with the sum of every column entry at its input position.</summary>
    public static void Unpack(in ConvGeometry g, int channels, ReadOnlySpan<float> col, Span<float> dx)
    {
        dx[..(channels * g.InH * g.InW)].Clear();
        int outHw = g.OutH * g.OutW;
        for (int c = 0; c < channels; c++)
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++)
                {
                    var src = col.Slice(((c * g.KernelH + ky) * g.KernelW + kx) * outHw, outHw);
                    var (lo, hi) = g.ValidColumns(kx);
                    if (lo >= hi) continue;
                    for (int oy = 0; oy < g.OutH; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.InH) continue;
                        var dst = dx.Slice((c * g.InH + iy) * g.InW);
                        var row = src.Slice(oy * g.OutW, g.OutW);
                        int ix = lo * g.StrideW - g.PadLeft + kx * g.DilationW;
                        for (int ox = lo; ox < hi; ox++, ix += g.StrideW) dst[ix] += row[ox];
                    }
                }
    }
}
