using MixBit.Nn.Graph;

namespace MixBit.Models.Architectures;

/// <summary>
/// MobileNetV1 (Howard et al. 2017): a 3x3 stem then 13 depthwise-separable blocks
/// [dw3x3 + BN + ReLU6, pw1x1 + BN + ReLU6], global average pool, linear classifier.
/// 1.0-224 with 1000 classes has 4.23 M parameters.
/// </summary>
public static class MobileNetV1
{
    /// <summary>(output channels, stride) of each depthwise-separable block at width 1.0.</summary>
    private static readonly (int Channels, int Stride)[] Blocks =
    [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ];

    public static ModelGraph Build(ArchitectureOptions o)
    {
        o.Validate();
        // MobileNetV1 scales channels by int(c * width) (no rounding to 8), as in the reference implementation.
        int Ch(int c) => Math.Max(1, (int)(c * o.Width));
        var b = new GraphBuilder(o.InputShape);
        b.Conv(Ch(32), 3, o.StemStride, name: "stem.conv");
        b.BatchNorm("stem.bn");
        b.Relu6("stem.act");
        for (int i = 0; i < Blocks.Length; i++)
        {
            var (c, s) = Blocks[i];
            b.DepthwiseConv(3, s, name: $"block{i}.dw.conv");
            b.BatchNorm($"block{i}.dw.bn");
            b.Relu6($"block{i}.dw.act");
            b.Conv(Ch(c), 1, name: $"block{i}.pw.conv");
            b.BatchNorm($"block{i}.pw.bn");
            b.Relu6($"block{i}.pw.act");
        }
        b.GlobalAvgPool("pool");
        b.Flatten("flatten");
        if (o.Dropout > 0) b.Dropout(o.Dropout, "dropout");
        b.Linear(o.Classes, name: "classifier");
        return b.Build($"mobilenet_v1_{o.Width:0.##}_{o.Resolution}");
    }
}
