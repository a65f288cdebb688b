using MixBit.Nn.Graph;

namespace MixBit.Models.Architectures;

/// <summary>
/// The inverted residual (MBConv) block of MobileNetV2 and MnasNet, appended to a <see cref="GraphBuilder"/>:
/// [expand 1x1 + BN + act] (omitted when the expansion is 1), depthwise kxk stride s + BN + act,
/// project 1x1 + BN (linear bottleneck, no activation), then a residual Add when s = 1 and c_in = c_out.
/// </summary>
internal static class InvertedResidual
{
    /// <summary>Appends one block named "<paramref name="name"/>.expand.conv", ".dw.conv", ".project.conv", ".add".</summary>
    /// <param name="expandedChannels">Channels of the depthwise stage (c_in * expansion, rounded by the caller).</param>
    /// <param name="skip">False for blocks defined without a shortcut (MnasNet's SepConv), whatever their shapes.</param>
    public static int Append(GraphBuilder b, string name, int outChannels, int expandedChannels, int kernel, int stride, bool relu6, bool skip = true)
    {
        int input = b.Current;
        int inChannels = b.CurrentShape.Channels;
        if (expandedChannels != inChannels)
        {
            b.Conv(expandedChannels, 1, name: $"{name}.expand.conv");
            b.BatchNorm($"{name}.expand.bn");
            Activation(b, relu6, $"{name}.expand.act");
        }
        b.DepthwiseConv(kernel, stride, name: $"{name}.dw.conv");
        b.BatchNorm($"{name}.dw.bn");
        Activation(b, relu6, $"{name}.dw.act");
        b.Conv(outChannels, 1, name: $"{name}.project.conv");
        b.BatchNorm($"{name}.project.bn");
        if (skip && stride == 1 && inChannels == outChannels) b.Residual(input, b.Current, $"{name}.add");
        return b.Current;
    }

    /// <summary>Conv + BN + activation with readable names "<paramref name="name"/>.conv/.bn/.act".</summary>
    public static int ConvBnAct(GraphBuilder b, string name, int outChannels, int kernel, int stride, bool relu6)
    {
        b.Conv(outChannels, kernel, stride, name: $"{name}.conv");
        b.BatchNorm($"{name}.bn");
        return Activation(b, relu6, $"{name}.act");
    }

    private static int Activation(GraphBuilder b, bool relu6, string name) => relu6 ? b.Relu6(name) : b.Relu(name);
}
