using MixBit.Nn.Graph;

namespace MixBit.Models.Architectures;

/// <summary>
/// MobileNetV2 (Sandler et al. 2018): a 3x3 stem (32), 17 inverted residual blocks with linear bottlenecks and
/// ReLU6, a 1x1 conv to 1280, global average pool, linear classifier. Channels are scaled by the width and
/// rounded to multiples of 8; the last conv (1280) is scaled only when width > 1 (torchvision's rule).
/// 1.0-224 with 1000 classes has 3,504,872 parameters (torchvision; the paper reports 3.4 M without BN).
/// </summary>
public static class MobileNetV2
{
    /// <summary>(expansion t, output channels c, repeats n, first stride s) per stage, the paper's Table 2.</summary>
    private static readonly (int Expansion, int Channels, int Repeats, int Stride)[] Stages =
    [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ];

    public static ModelGraph Build(ArchitectureOptions o)
    {
        o.Validate();
        var b = new GraphBuilder(o.InputShape);
        InvertedResidual.ConvBnAct(b, "stem", o.Scaled(32), 3, o.StemStride, relu6: true);
        int block = 0;
        foreach (var (t, c, n, s) in Stages)
        {
            int outChannels = o.Scaled(c);
            for (int i = 0; i < n; i++)
            {
                // hidden = c_in * t, as torchvision computes it (no further rounding to 8).
                InvertedResidual.Append(b, $"block{block++}", outChannels, b.CurrentShape.Channels * t, 3, i == 0 ? s : 1, relu6: true);
            }
        }
        InvertedResidual.ConvBnAct(b, "head", o.Width > 1 ? o.Scaled(1280) : 1280, 1, 1, relu6: true);
        b.GlobalAvgPool("pool");
        b.Flatten("flatten");
        if (o.Dropout > 0) b.Dropout(o.Dropout, "dropout");
        b.Linear(o.Classes, name: "classifier");
        return b.Build($"mobilenet_v2_{o.Width:0.##}_{o.Resolution}");
    }
}
