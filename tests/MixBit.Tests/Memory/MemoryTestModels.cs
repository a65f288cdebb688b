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
}
