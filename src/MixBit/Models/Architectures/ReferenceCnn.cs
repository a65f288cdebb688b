using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Models.Architectures;

/// <summary>
/// The speed-comparison network of TOOLCHAIN.md (18,826 parameters at 1x28x28, 10 classes): conv3x3 1->16 + BN +
/// ReLU6, four depthwise-separable blocks (16->32 s2, 32->64 s2, 64->64 s1, 64->128 s2), GAP, Linear 128->10.
/// </summary>
public static class ReferenceCnn
{
    public static ModelGraph Build(ArchitectureOptions? options = null)
    {
        var o = options ?? new ArchitectureOptions(Resolution: 28, InputChannels: 1, Classes: 10);
        o.Validate();
        var b = new GraphBuilder(new ActivationShape(o.InputChannels, o.Resolution, o.Resolution));
        b.ConvBnAct(16, 3);
        foreach (var (c, s) in new[] { (32, 2), (64, 2), (64, 1), (128, 2) })
        {
            b.ConvBnAct(b.CurrentShape.Channels, 3, s, groups: b.CurrentShape.Channels);
            b.ConvBnAct(c, 1);
        }
        b.GlobalAvgPool();
        b.Flatten();
        b.Linear(o.Classes);
        return b.Build("reference_cnn");
    }
}
