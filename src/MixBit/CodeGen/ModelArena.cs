using MixBit.Integer;
using MixBit.Memory;

namespace MixBit.CodeGen;

/// <summary>
/// The arena of an integer model, placed by the memory model's own <see cref="ArenaLayout.ForModel"/> from the same
/// buffers the deployment plan prices (tensor bytes at their bits, lifetimes from producer to last reader, the runtime's
/// scratch sizes from <see cref="KernelScratch"/>), so the generated arena equals <see cref="PlanCost.PeakRamBytes"/>.
/// </summary>
public static class ModelArena
{
    public static ArenaLayout Of(QuantizedModel model)
    {
        var t = model.Tensors;
        int n = t.Length;
        var producer = Enumerable.Repeat(-1, n).ToArray();
        var lastUse = new int[n];
        for (int o = 0; o < model.Ops.Length; o++)
        {
            producer[model.Ops[o].Output] = o;
            lastUse[model.Ops[o].Output] = Math.Max(lastUse[model.Ops[o].Output], o);
            foreach (int i in model.Ops[o].Inputs) lastUse[i] = Math.Max(lastUse[i], o);
        }
        lastUse[model.OutputTensor] = model.Ops.Length - 1;
        var buffers = t.Select(x => new ArenaBuffer(x.Name, PackedSize.Bytes(x.Elements, x.Bits), producer[x.Id], lastUse[x.Id])).ToArray();
        return ArenaLayout.ForModel(buffers, model.Ops.Select(o => ScratchBytes(model, o)).ToArray(), model.Ops.Select(o => o.Name).ToArray());
    }

    /// <summary>The runtime's *_get_buffer_size for the op (0 for adds and pools).</summary>
    public static long ScratchBytes(QuantizedModel model, QuantizedOp op)
    {
        if (op is not QuantizedLayer l) return 0;
        var input = model.Tensors[l.Input];
        var output = model.Tensors[l.Output];
        if (l.Window is not { } w) return KernelScratch.FullyConnectedBytes(input.Elements);
        if (l.IsDepthwise) return KernelScratch.DepthwiseBytes(l.OutChannels, w.KernelH, w.KernelW, w.StrideW, output.Width);
        return KernelScratch.ConvBytes((long)w.KernelH * w.KernelW * l.InChannelsPerGroup * l.Groups, (long)output.Height * output.Width);
    }
}
