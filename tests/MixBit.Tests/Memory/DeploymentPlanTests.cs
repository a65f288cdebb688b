using MixBit.Memory;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

/// <summary>
/// Hand-computed FLASH and RAM of <see cref="MemoryTestModels.ThreeLayer"/>.
/// Ops: conv1 (0), dw (1), gap (2), fc (3); flatten is a view of the gap buffer.
/// Parameter bytes (independent of bits): conv1 9*3 + 16 = 43, dw 9*3 + 16 = 43, gap 21 (M0, shift and four int32), fc 9*5 + 16 = 61; sum 168.
/// Elements: input 1x6x6 = 36 (8-bit: 36 B), conv1 out 3x6x6 = 108, dw out 3x3x3 = 27, gap out 3, fc out 5.
/// Scratch (the C runtime's buffer sizes, <see cref="KernelScratch"/>; Kp = K rounded up to 16): conv1 K = 9, Kp = 16,
/// min(8, 36) = 8 columns: 2*16*(8+2) = 320; dw (3 channels -> Cp 4, W_span (3-1)*2+3 = 7): 8*3 + 2*4*3*(7+3) = 264;
/// gap none; fc K = 3, Kp = 16: 2*16*3 = 96.
/// The logits (fc out) are int8 whatever the policy says of fc's activations.
/// </summary>
public class DeploymentPlanTests
{
    public static TheoryData<string, long, long, long[]> Policies => new()
    {
        // uniform w8/a8: weights 27 + 27 + 15 = 69 -> FLASH 69 + 168 = 237.
        // RAM: conv1 36 + 108 + 320 = 464; dw 108 + 27 + 264 = 399; gap 27 + 3 = 30; fc 3 + 5 + 96 = 104.
        { "8/8 8/8 8/8", 237, 464, [464, 399, 30, 104] },
        // uniform w4/a4: weights ceil(108/8)=14 + 14 + ceil(60/8)=8 = 36 -> FLASH 204.
        // RAM: conv1 36 + 54 + 320 = 410; dw 54 + ceil(108/8)=14 + 264 -> 332; gap 14 + ceil(12/8)=2 -> 16; fc 2 + 5 (int8 logits) + 96 -> 103.
        { "4/4 4/4 4/4", 204, 410, [410, 332, 16, 103] },
        // uniform w2/a2: weights ceil(54/8)=7 + 7 + ceil(30/8)=4 = 18 -> FLASH 186.
        // RAM: conv1 36 + 27 + 320 = 383; dw 27 + ceil(54/8)=7 + 264 -> 298; gap 7 + 1 -> 8; fc 1 + 5 (int8 logits) + 96 -> 102.
        { "2/2 2/2 2/2", 186, 383, [383, 298, 8, 102] },
        // mixed conv1 w2/a4, dw w8/a2, fc w4/a8: weights 7 + 27 + 8 = 42 -> FLASH 210.
        // RAM: conv1 36 + 54 + 320 = 410; dw 54 + 7 + 264 = 325; gap (keeps dw's 2 bits) 7 + 1 = 8; fc 1 + 5 + 96 = 102.
        { "2/4 8/2 4/8", 210, 410, [410, 325, 8, 102] },
    };

    [Theory]
    [MemberData(nameof(Policies))]
    public void Three_layer_model_matches_hand_computed_flash_and_ram(string bits, long flash, long peakRam, long[] ramPerOp)
    {
        var g = MemoryTestModels.ThreeLayer();
        var cost = DeploymentPlan.Build(g).Price(Policy(g, bits));
        Assert.Equal(flash, cost.FlashBytes);
        Assert.Equal(peakRam, cost.PeakRamBytes);
        Assert.Equal(ramPerOp, cost.Ops.Select(o => o.RamBytes).ToArray());
        Assert.Equal(168, cost.Footprint.ParameterBytes);
        Assert.Equal("conv1", cost.Footprint.PeakRamOp);
    }

    [Fact]
    public void Fusion_gives_four_ops_and_a_flatten_view()
    {
        var g = MemoryTestModels.ThreeLayer();
        var plan = DeploymentPlan.Build(g);
        var cost = plan.Price(BitPolicy.Uniform(g, 8, 8));
        Assert.Equal(["conv1", "dw", "gap", "fc"], plan.Ops.Select(o => o.Name));
        Assert.Equal([DeployedOpKind.Conv2d, DeployedOpKind.DepthwiseConv2d, DeployedOpKind.GlobalAvgPool, DeployedOpKind.Linear], plan.Ops.Select(o => o.Kind));
        Assert.Equal(3, plan.Op("conv1").FusedNodes.Count);       // conv, bn, relu
        Assert.Equal(6f, plan.Op("dw").Activation!.Max);          // ReLU6 fused
        Assert.Equal(320, cost.Op("conv1").ScratchBytes);
        Assert.Equal(264, cost.Op("dw").ScratchBytes);
        Assert.Equal(0, cost.Op("gap").ScratchBytes);
        // The linear layer reads the GAP buffer directly; the flatten node is a view of it.
        var gapOut = plan.Tensors[plan.Op("gap").Output];
        Assert.Equal(gapOut.Id, plan.Op("fc").Inputs.Single());
        Assert.Equal([g.IndexOf("flatten")], gapOut.ViewNodes);
        Assert.Equal(5, plan.Tensors.Count);                      // input + 4 op outputs
        Assert.Equal(plan.Op("fc").Output, plan.OutputTensor.Id);
    }

    [Fact]
    public void Dropout_and_final_softmax_are_removed_and_bias_is_not_weight_memory()
    {
        var b = new GraphBuilder(new ActivationShape(2, 4, 4));
        b.Conv(3, 1, bias: true, name: "pw"); b.Relu("pw.act");
        b.Flatten("flat"); b.Dropout(0.5f, "drop"); b.Linear(2, name: "fc"); b.Add(new SoftmaxSpec(), "softmax");
        var g = b.Build("dropout");
        var plan = DeploymentPlan.Build(g);
        var cost = plan.Price(BitPolicy.Uniform(g, 8, 8));
        Assert.Equal(["pw", "fc"], plan.Ops.Select(o => o.Name));
        Assert.Equal(6, cost.Op("pw").WeightBytes);                // 3*2 weights; the bias is in the 9 B per channel
        Assert.Equal(9 * 3 + 16, plan.Op("pw").ParameterBytes);
        Assert.Equal(2 * 16 * (8 + 2), cost.Op("pw").ScratchBytes); // pointwise: K = 2 -> Kp 16, 8 columns of the 16 pixels
        Assert.Equal(48 * 2, plan.Op("fc").WeightCount);           // flatten of 3x4x4 = 48 features
        Assert.Equal(plan.Op("fc").Output, plan.OutputTensor.Id);  // the device returns the logits
    }

    [Fact]
    public void A_batchnorm_that_does_not_follow_a_conv_cannot_be_deployed()
    {
        var b = new GraphBuilder(new ActivationShape(2, 4, 4));
        b.Conv(2, 1, name: "pw"); b.Relu("act"); b.BatchNorm("late.bn");
        b.GlobalAvgPool(); b.Flatten(); b.Linear(2, name: "fc");
        var g = b.Build("late_bn");
        var e = Assert.Throws<ModelException>(() => DeploymentPlan.Build(g));
        Assert.Contains("late.bn", e.Message);
    }

    /// <summary>"w/a w/a w/a" for conv1, dw, fc.</summary>
    internal static BitPolicy Policy(ModelGraph g, string bits)
    {
        var parts = bits.Split(' ').Select(p => p.Split('/').Select(int.Parse).ToArray()).ToArray();
        return BitPolicy.Create(g, new[] { "conv1", "dw", "fc" }.Select((l, i) => KeyValuePair.Create(l, new LayerBits(parts[i][0], parts[i][1]))));
    }
}
