using MixBit.Nn.Graph;

namespace MixBit.Models.Architectures;

/// <summary>
/// MnasNet-A1 (Tan et al. 2019, Figure 7) WITHOUT its squeeze-and-excitation blocks: the layer set has no
/// channel-wise multiply, so the SE modules of the 40-, 112- and 160-channel stages are left out (published
/// A1 with SE: 3.9 M parameters; without SE at 1.0-224-1000: 3,629,072). Stages: conv3x3 32 s2, SepConv 3x3 16,
/// MBConv6 k3 24 x2 s2, MBConv3 k5 40 x3 s2, MBConv6 k3 80 x4 s2, MBConv6 k3 112 x2 s1, MBConv6 k5 160 x3 s2,
/// MBConv6 k3 320 x1 s1, conv1x1 1280, global average pool, linear. ReLU throughout; residual Add when
/// stride 1 and c_in = c_out. Channels scale with the width (rounded to 8); the 1280 head only when width > 1.
/// </summary>
public static class MnasNet
{
    /// <summary>(expansion, kernel, output channels, repeats, first stride) of the MBConv stages after the SepConv.</summary>
    private static readonly (int Expansion, int Kernel, int Channels, int Repeats, int Stride)[] Stages =
    [
        (6, 3, 24, 2, 2), (3, 5, 40, 3, 2), (6, 3, 80, 4, 2), (6, 3, 112, 2, 1), (6, 5, 160, 3, 2), (6, 3, 320, 1, 1),
    ];

    public static ModelGraph Build(ArchitectureOptions o)
    {
        o.Validate();
        var b = new GraphBuilder(o.InputShape);
        InvertedResidual.ConvBnAct(b, "stem", o.Scaled(32), 3, o.StemStride, relu6: false);
        // SepConv: depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN (an MBConv with expansion 1 and no shortcut,
        // "noskip" in the reference definition, even where width rounding makes 32 and 16 equal).
        InvertedResidual.Append(b, "block0", o.Scaled(16), b.CurrentShape.Channels, 3, 1, relu6: false, skip: false);
        int block = 1;
        foreach (var (e, k, c, n, s) in Stages)
        {
            int outChannels = o.Scaled(c);
            for (int i = 0; i < n; i++)
                InvertedResidual.Append(b, $"block{block++}", outChannels, b.CurrentShape.Channels * e, k, i == 0 ? s : 1, relu6: false);
        }
        InvertedResidual.ConvBnAct(b, "head", o.Width > 1 ? o.Scaled(1280) : 1280, 1, 1, relu6: false);
        b.GlobalAvgPool("pool");
        b.Flatten("flatten");
        if (o.Dropout > 0) b.Dropout(o.Dropout, "dropout");
        b.Linear(o.Classes, name: "classifier");
        return b.Build($"mnasnet_a1_{o.Width:0.##}_{o.Resolution}");
    }
}
