namespace MixBit.Integer.Engine;

/// <summary>
/// Average and global average pool: acc = sum over in-bounds taps of (x - z_in) per channel (|acc| &lt;= taps * 2^9),
/// out = clamp(requantize(acc) + z_out). Small next to the convolutions, so scalar only.
/// </summary>
internal sealed class AveragePoolKernel(QuantizedAveragePool pool, QuantizedTensor input, QuantizedTensor output) : OpKernel
{
    public override void RunScalar(EngineArena arena)
    {
        var x = arena.Tensors[input.Id];
        var y = arena.Tensors[output.Id];
        var win = pool.Window;
        int c = input.Channels;
        Span<int> acc = c <= 1024 ? stackalloc int[c] : new int[c];
        for (int oy = 0; oy < output.Height; oy++)
        {
            var (ky0, ky1) = KernelWindow.ValidTaps(oy, win.StrideH, win.PadTop, 1, win.KernelH, input.Height);
            for (int ox = 0; ox < output.Width; ox++)
            {
                var (kx0, kx1) = KernelWindow.ValidTaps(ox, win.StrideW, win.PadLeft, 1, win.KernelW, input.Width);
                acc.Clear();
                int taps = (ky1 - ky0) * (kx1 - kx0);
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++)
                    {
                        var row = x.AsSpan(((oy * win.StrideH - win.PadTop + ky) * input.Width + ox * win.StrideW - win.PadLeft + kx) * c, c);
                        for (int ch = 0; ch < c; ch++) acc[ch] += row[ch];
                    }
                var o = y.AsSpan((oy * output.Width + ox) * c, c);
                for (int ch = 0; ch < c; ch++)
                    o[ch] = Store(pool.Multiplier.Requantize(acc[ch] - taps * pool.InputZeroPoint), pool.OutputZeroPoint, pool.ActivationMin, pool.ActivationMax);
            }
        }
    }
}
