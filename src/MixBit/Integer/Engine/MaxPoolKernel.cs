namespace MixBit.Integer.Engine;

/// <summary>Max pool: the largest code over the in-bounds taps per channel; same grid in and out, so no arithmetic.</summary>
internal sealed class MaxPoolKernel(QuantizedMaxPool pool, QuantizedTensor input, QuantizedTensor output) : OpKernel
{
    public override void RunScalar(EngineArena arena)
    {
        var x = arena.Tensors[input.Id];
        var y = arena.Tensors[output.Id];
        var win = pool.Window;
        int c = input.Channels;
        for (int oy = 0; oy < output.Height; oy++)
        {
            var (ky0, ky1) = KernelWindow.ValidTaps(oy, win.StrideH, win.PadTop, 1, win.KernelH, input.Height);
            for (int ox = 0; ox < output.Width; ox++)
            {
                var (kx0, kx1) = KernelWindow.ValidTaps(ox, win.StrideW, win.PadLeft, 1, win.KernelW, input.Width);
                var o = y.AsSpan((oy * output.Width + ox) * c, c);
                o.Fill(short.MinValue);
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++)
                    {
                        var row = x.AsSpan(((oy * win.StrideH - win.PadTop + ky) * input.Width + ox * win.StrideW - win.PadLeft + kx) * c, c);
                        for (int ch = 0; ch < c; ch++) o[ch] = Math.Max(o[ch], row[ch]);
                    }
            }
        }
    }
}
