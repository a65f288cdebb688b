using MixBit.Models.Architectures;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Tests.Models;

public class ArchitectureTests
{
    private static readonly ArchitectureOptions Paper = new(1.0, 224, 3, 1000);

    [Fact]
    public void MobileNetV2_paper_scale_has_torchvision_parameter_count()
    {
        var g = MobileNetV2.Build(Paper);
        // torchvision mobilenet_v2(): 3,504,872 parameters (weights + BN affine + classifier bias).
        Assert.Equal(3_504_872, g.TrainableParameterCount);
        // Published: 300 M multiply-adds (Sandler et al., Table 4).
        Assert.InRange(g.TotalMacs, 295_000_000, 305_000_000);
    }

    [Fact]
    public void MnasNet_a1_without_se_matches_hand_count()
    {
        // Per block: conv weights + 2 x channels of every BN (weight, bias).
        //   stem 3*32*9 + 64 = 928; SepConv 32*9 + 64 + 32*16 + 32 = 896
        //   24 x2 (e6 k3): 16->96->24: 1536+192 + 864+192 + 2304+48 = 5,136; 24->144->24: 8,832
        //   40 x3 (e3 k5): 24->72->40: 1728+144 + 1800+144 + 2880+80 = 6,776; 2 x 40->120->40 = 2 x 13,160
        //   80 x4 (e6 k3): 40->240->80: 32,080; 3 x 80->480->80: 3 x 83,200
        //   112 x2 (e6 k3): 80->480->112: 98,624; 112->672->112: 159,488
        //   160 x3 (e6 k5): 112->672->160: 202,592; 2 x 160->960->160: 2 x 335,360
        //   320 x1 (e6 k3): 160->960->320: 473,920
        //   head 320*1280 + 2560 = 412,160; classifier 1280*1000 + 1000 = 1,281,000
        // Sum: 3,629,072 (the published A1 with squeeze-excite is 3.9 M).
        var g = MnasNet.Build(Paper);
        Assert.InRange(g.TrainableParameterCount, 3_629_072 * 99 / 100, 3_629_072 * 101 / 100);
        // Published A1: 312 M multiply-adds; the SE modules left out account for well under 1 M of them.
        Assert.InRange(g.TotalMacs, 305_000_000, 313_000_000);
    }

    [Fact]
    public void PlainCnn_small_matches_hand_count()
    {
        // 1*32*9 + 64 + 32*64*9 + 128 + 64*128*9 + 256 + 128*10 + 10 = 94,186
        var g = PlainCnn.Build(new ArchitectureOptions(1.0, 28, 1, 10));
        Assert.Equal(94_186, g.TrainableParameterCount);
        Assert.Equal(2, g.Nodes.Count(n => n.Spec is Pool2dSpec { Kind: PoolKind.Max }));
    }

    public static TheoryData<string, double, int, int, int> AllBuilds()
    {
        var data = new TheoryData<string, double, int, int, int>();
        foreach (var name in ArchitectureRegistry.Names)
            foreach (var width in new[] { 0.25, 0.5, 1.0 })
            {
                data.Add(name, width, 28, 1, 10);
                data.Add(name, width, 224, 3, 1000);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllBuilds))]
    public void Every_architecture_builds_at_fashion_mnist_and_imagenet_size(string name, double width, int resolution, int channels, int classes)
    {
        var g = ArchitectureRegistry.Build(name, new ArchitectureOptions(width, resolution, channels, classes));
        Assert.Equal(new ActivationShape(classes, 1, 1), g.OutputShape);
        Assert.Equal(new ActivationShape(channels, resolution, resolution), g.InputShape);
        Assert.IsType<LinearSpec>(g.Nodes[^1].Spec);
        Assert.True(g.TrainableParameterCount > 0);
        Assert.True(g.TotalMacs > 0);
    }

    [Theory]
    [InlineData(0.25, 11)]
    [InlineData(0.5, 10)]
    [InlineData(1.0, 10)]
    public void MobileNetV2_has_residual_adds_each_reading_its_block_input(double width, int expected)
    {
        // Stride-1 blocks with c_in == c_out: 24 (1), 32 (2), 64 (3), 96 (2), 160 (2) = 10; at width 0.25 the stem
        // (32 -> 8) and the t=1 block (16 -> 8) both round to 8 channels, so block0 gets a shortcut too (as in torchvision).
        var g = MobileNetV2.Build(new ArchitectureOptions(width, 28, 1, 10));
        AssertResiduals(g, expected);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(1.0)]
    public void MnasNet_has_nine_residual_adds_and_uses_plain_relu(double width)
    {
        // Stride-1 blocks with c_in == c_out: 24 (1), 40 (2), 80 (3), 112 (1), 160 (2) = 9; the SepConv never has one,
        // even at 0.25 where its 32 -> 16 channels both round to 8.
        var g = MnasNet.Build(new ArchitectureOptions(width, 224, 3, 1000));
        AssertResiduals(g, 9);
        Assert.DoesNotContain(g.Nodes, n => n.Spec is ReluSpec { IsBounded: true });
        // SepConv block has no expansion conv; the k5 stages use 5x5 depthwise.
        Assert.Equal(-2, g.IndexOf("block0.expand.conv"));
        Assert.Equal(5, ((Conv2dSpec)g.Nodes[g.IndexOf("block3.dw.conv")].Spec).KernelH);
    }

    [Fact]
    public void MobileNetV2_blocks_are_named_readably_and_t1_block_has_no_expansion()
    {
        var g = MobileNetV2.Build(Paper);
        foreach (var name in new[] { "stem.conv", "stem.bn", "stem.act", "block0.dw.conv", "block3.expand.conv",
                     "block3.dw.conv", "block3.project.bn", "block2.add", "head.conv", "pool", "classifier" })
            Assert.True(g.IndexOf(name) >= 0, $"missing node {name}");
        Assert.Equal(-2, g.IndexOf("block0.expand.conv"));
        Assert.Equal(1280, g.ShapeOf(g.IndexOf("head.conv")).Channels);
        Assert.Equal(new ActivationShape(320, 7, 7), g.ShapeOf(g.IndexOf("block16.project.bn")));
        Assert.True(((Conv2dSpec)g.Nodes[g.IndexOf("block3.dw.conv")].Spec).IsDepthwise);
    }

    [Theory]
    [InlineData(0.5, 1280)]
    [InlineData(1.0, 1280)]
    [InlineData(1.4, 1792)]
    public void Last_conv_widens_only_above_width_one(double width, int expected)
    {
        foreach (var build in new Func<ArchitectureOptions, ModelGraph>[] { MobileNetV2.Build, MnasNet.Build })
        {
            var g = build(new ArchitectureOptions(width, 224, 3, 1000));
            Assert.Equal(expected, g.ShapeOf(g.IndexOf("head.conv")).Channels);
        }
    }

    [Fact]
    public void Small_inputs_keep_stride_one_stem_and_a_feature_map_above_one_pixel()
    {
        foreach (var name in ArchitectureRegistry.Names)
        {
            var g = ArchitectureRegistry.Build(name, new ArchitectureOptions(0.5, 28, 1, 10));
            int pool = g.Nodes.ToList().FindIndex(n => n.Spec is GlobalAvgPoolSpec);
            var beforePool = g.ShapeOf(g.Nodes[pool].Inputs[0]);
            Assert.True(beforePool.Height >= 2, $"{name}: {beforePool} before global pooling");
        }
    }

    [Fact]
    public void Registry_is_case_insensitive_and_lists_names_for_an_unknown_one()
    {
        Assert.Equal(["mobilenet_v1", "mobilenet_v2", "mnasnet", "plain_cnn", "reference_cnn"], ArchitectureRegistry.Names);
        Assert.Equal(MobileNetV1.Build(Paper).TrainableParameterCount, ArchitectureRegistry.Build("MobileNet_V1", Paper).TrainableParameterCount);
        var e = Assert.Throws<MixBitException>(() => ArchitectureRegistry.Build("resnet50", Paper));
        Assert.Contains("resnet50", e.Message);
        foreach (var name in ArchitectureRegistry.Names) Assert.Contains(name, e.Message);
    }

    private static void AssertResiduals(ModelGraph g, int expected)
    {
        var adds = Enumerable.Range(0, g.Count).Where(i => g.Nodes[i].Spec is AddSpec).ToList();
        Assert.Equal(expected, adds.Count);
        foreach (int i in adds)
        {
            var node = g.Nodes[i];
            string block = node.Name[..node.Name.IndexOf('.')];
            Assert.Equal($"{block}.add", node.Name);
            // One input is this block's projection, the other the output of the previous block (its input).
            Assert.Equal($"{block}.project.bn", g.Nodes[node.Inputs[1]].Name);
            Assert.DoesNotContain(block + ".", g.Nodes[node.Inputs[0]].Name);
            Assert.Equal(g.ShapeOf(node.Inputs[0]), g.ShapeOf(node.Inputs[1]));
        }
    }
}
