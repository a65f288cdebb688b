using MixBit.Nn;
using MixBit.Tensors;

namespace MixBit.Tests.Onnx;

/// <summary>Runs a model in MixBit's float engine (inference mode).</summary>
internal static class MixBitReference
{
    public static float[] Run(Model model, float[] input, int[] inputShape)
    {
        var network = new Network(model);
        return network.Forward(new Tensor((float[])input.Clone(), inputShape)).Span.ToArray();
    }
}
