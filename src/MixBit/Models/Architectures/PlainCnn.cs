using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Models.Architectures;

/// <summary>
/// A small plain CNN for quick experiments: three stages of conv3x3 + BN + ReLU with 32, 64, 128 channels at
/// width 1.0 (scaled, rounded to 8), 2x2 max pooling after the first two stages, global average pool, linear.
/// The first conv uses <see cref="ArchitectureOptions.StemStride"/>. At 1x28x28 with 10 classes: 94,186 parameters.
/// </summary>
public static class PlainCnn
{
    private static readonly int[] StageChannels = [32, 64, 128];

    public static ModelGraph Build(ArchitectureOptions o)
    {
        o.Validate();
        var b = new GraphBuilder(o.InputShape);
        for (int i = 0; i < StageChannels.Length; i++)
        {
            InvertedResidual.ConvBnAct(b, $"stage{i}", o.Scaled(StageChannels[i]), 3, i == 0 ? o.StemStride : 1, relu6: false);
            // Pool only while the map is at least 2x2, so tiny inputs still build.
            if (i < StageChannels.Length - 1 && b.CurrentShape.Height >= 2 && b.CurrentShape.Width >= 2)
                b.Add(new Pool2dSpec(PoolKind.Max, 2, 2, 2, 2), $"stage{i}.pool");
        }
        b.GlobalAvgPool("pool");
        b.Flatten("flatten");
        if (o.Dropout > 0) b.Dropout(o.Dropout, "dropout");
        b.Linear(o.Classes, name: "classifier");
        return b.Build($"plain_cnn_{o.Width:0.##}_{o.Resolution}");
    }
}
