using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Tests.Memory;

/// <summary>Small graphs whose memory is computed by hand in the tests.</summary>
internal static class MemoryTestModels
{
    /// <summary>
    /// Three quantized layers on a 1x6x6 input:
    /// conv1 = conv3x3 1->3 pad 1 + BN + ReLU (3x6x6, 27 weights), dw = dwconv3x3 stride 2 + BN + ReLU6 (3x3x3, 27 weights),
    /// gap (3), flatten, fc = linear 3->5 with bias (15 weights).
    /// </summary>
    public static ModelGraph ThreeLayer()
    {
        var b = new GraphBuilder(new ActivationShape(1, 6, 6));
        b.Conv(3, 3, name: "conv1"); b.BatchNorm("conv1.bn"); b.Relu("conv1.act");
        b.DepthwiseConv(3, 2, name: "dw"); b.BatchNorm("dw.bn"); b.Relu6("dw.act");
        b.GlobalAvgPool("gap");
        b.Flatten("flatten");
        b.Linear(5, name: "fc");
        return b.Build("three_layer");
    }

    /// <summary>
    /// A residual block on a 4x8x8 input: c1 = pwconv 4->4 + BN + ReLU; c2 = conv3x3 + BN + ReLU; c3 = conv3x3 + BN;
    /// add = c1 + c3, then ReLU; gap; flatten; fc = linear 4->2. The output of c1 is the skip tensor.
    /// </summary>
    public static ModelGraph Residual()
    {
        var b = new GraphBuilder(new ActivationShape(4, 8, 8));
        b.Conv(4, 1, name: "c1"); b.BatchNorm("c1.bn"); int skip = b.Relu("c1.act");
        b.Conv(4, 3, name: "c2"); b.BatchNorm("c2.bn"); b.Relu("c2.act");
        b.Conv(4, 3, name: "c3"); int main = b.BatchNorm("c3.bn");
        b.Residual(skip, main, "add"); b.Relu("add.act");
        b.GlobalAvgPool("gap");
        b.Flatten("flatten");
        b.Linear(2, name: "fc");
        return b.Build("residual");
    }

    /// <summary>A chain of random convs, depthwise convs, pools and residual blocks, then GAP and a classifier.</summary>
    public static ModelGraph Random(Random rng, int id)
    {
        int res = rng.Next(4, 17);
        var b = new GraphBuilder(new ActivationShape(rng.Next(1, 5), res, res));
        int blocks = rng.Next(1, 6);
        for (int i = 0; i < blocks; i++)
        {
            var shape = b.CurrentShape;
            switch (rng.Next(4))
            {
                case 0:
                    b.Conv(rng.Next(1, 17), rng.Next(2) == 0 ? 1 : 3, shape.Height >= 4 && rng.Next(3) == 0 ? 2 : 1);
                    if (rng.Next(4) > 0) b.BatchNorm();
                    if (rng.Next(4) > 0) b.Relu();
                    break;
                case 1:
                    b.ConvBnAct(shape.Channels, 3, shape.Height >= 4 && rng.Next(2) == 0 ? 2 : 1, groups: shape.Channels);
                    break;
                case 2 when shape.Height >= 2:
                    if (rng.Next(2) == 0) b.MaxPool(2, 2); else b.AvgPool(2, 2);
                    break;
                default:
                    int skip = b.Current;
                    b.ConvBnAct(shape.Channels, 3, relu6: false);
                    b.ConvBnAct(shape.Channels, rng.Next(2) == 0 ? 1 : 3, activation: false);
                    b.Residual(skip, b.Current);
                    if (rng.Next(2) == 0) b.Relu();
                    break;
            }
        }
        b.GlobalAvgPool();
        b.Flatten();
        b.Linear(rng.Next(2, 11));
        return b.Build($"random{id}");
    }
}
