using MixBit.Nn.Specs;

namespace MixBit.Memory;

/// <summary>
/// RAM scratch a kernel of the C runtime needs besides its input and output buffers; the one C# mirror of the runtime's
/// <c>*_get_buffer_size</c> functions (docs/INTEGER.md). Today: a standard (not depthwise, not pointwise) convolution
/// gathers one unpacked int8 im2col column of c_in/groups * k_h * k_w values; every other op needs none.
/// </summary>
public static class KernelScratch
{
    public static long Bytes(DeployedOp op, int inputBits, int weightBits, int outputBits) => op.Spec switch
    {
        Conv2dSpec c when !c.IsDepthwise && !c.IsPointwise => (long)c.InChannelsPerGroup * c.KernelH * c.KernelW,
        _ => 0,
    };
}
