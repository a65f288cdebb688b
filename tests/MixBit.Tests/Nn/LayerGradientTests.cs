using MixBit.Nn.Layers;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Tests.Nn;

public class LayerGradientTests
{
    public static TheoryData<string, Conv2dSpec> ConvCases => new()
    {
        { "3x3 s1 p1 bias", new Conv2dSpec(3, 4, 3, 3, 1, 1, 1, 1, 1, 1, hasBias: true) },
        { "3x3 s2 p1", Conv2dSpec.Square(3, 5, 3, 2) },
        { "1x1 pointwise", Conv2dSpec.Square(4, 6, 1) },
        { "1x1 stride 2", new Conv2dSpec(4, 3, 1, 1, 2, 2) },
        { "depthwise 3x3 s1", Conv2dSpec.Square(4, 4, 3, 1, groups: 4) },
        { "depthwise 3x3 s1, 10 channels (a partial lane block)", Conv2dSpec.Square(10, 10, 3, 1, groups: 10, hasBias: true) },
        { "depthwise 3x3 s2", Conv2dSpec.Square(4, 4, 3, 2, groups: 4, hasBias: true) },
        { "depthwise 5x5 s2", Conv2dSpec.Square(3, 3, 5, 2, groups: 3) },
        { "grouped g=2", Conv2dSpec.Square(4, 6, 3, 1, groups: 2) },
        { "asymmetric pad", new Conv2dSpec(2, 3, 3, 3, 2, 2, 0, 0, 1, 1) },
        { "dilation 2", new Conv2dSpec(2, 3, 3, 3, 1, 1, 2, 2, 2, 2, dilationH: 2, dilationW: 2) },
        { "depthwise dilation 2", new Conv2dSpec(3, 3, 3, 3, 1, 1, 2, 2, 2, 2, groups: 3, dilationH: 2, dilationW: 2) },
        { "rectangular 1x3", new Conv2dSpec(2, 2, 1, 3, 1, 2, 0, 1, 0, 1) },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_gradients_match_finite_differences(string name, Conv2dSpec spec)
    {
        _ = name;
        var w = GradientChecker.Random(2, spec.Parameters[0].Shape);
        var b = spec.HasBias ? GradientChecker.Random(3, spec.OutChannels) : null;
        var layer = new Conv2dLayer("c", spec, w, b);
        GradientChecker.Check(layer, [GradientChecker.Random(4, 2, spec.InChannels, 7, 6)]);
    }

    /// <summary>Shapes that reach the vectorised paths, not only their scalar tails.</summary>
    public static TheoryData<string, Conv2dSpec, int[]> VectorPathCases => new()
    {
        // 16 channels (two full blocks of 8 lanes) on 5x7 maps: the 8x8 transposes between planes and lanes, and their tails.
        { "depthwise s1, full lane blocks", Conv2dSpec.Square(16, 16, 3, 1, groups: 16, hasBias: true), [2, 16, 5, 7] },
        { "depthwise s2, full lane blocks", Conv2dSpec.Square(16, 16, 3, 2, groups: 16, hasBias: true), [2, 16, 5, 7] },
        // 4 x 3 x 3 = 36 > 32 inputs per output, so im2col + GEMM; 40 columns: vectorised row copies, stride-2 gathers, col2im adds.
        { "im2col s1, wide map", Conv2dSpec.Square(4, 3, 3, 1, hasBias: true), [1, 4, 5, 40] },
        { "im2col s2, wide map", Conv2dSpec.Square(4, 3, 3, 2, hasBias: true), [1, 4, 5, 40] },
    };

    [Theory]
    [MemberData(nameof(VectorPathCases))]
    public void Conv2d_gradients_on_vector_path_shapes_match_finite_differences(string name, Conv2dSpec spec, int[] inputShape)
    {
        _ = name;
        var layer = new Conv2dLayer("c", spec, GradientChecker.Random(2, spec.Parameters[0].Shape), GradientChecker.Random(3, spec.OutChannels));
        GradientChecker.Check(layer, [GradientChecker.Random(4, inputShape)], samplesPerTensor: 60);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Stem_weight_gradient_without_input_gradient_matches_the_one_with_it(int stride)
    {
        // A stem (few input channels) computes its weight gradient on planes when no input gradient is wanted.
        var spec = Conv2dSpec.Square(3, 5, 3, stride, hasBias: true);
        var layer = new Conv2dLayer("stem", spec, GradientChecker.Random(2, spec.Parameters[0].Shape), GradientChecker.Random(3, 5));
        var x = GradientChecker.Random(4, 3, 3, 9, 21); // rows of 23 padded floats: the vectorised phase split
        var dy = GradientChecker.Random(5, layer.Forward([x], true).Shape.ToArray());
        float[] WeightGradient(Tensor? dx)
        {
            foreach (var p in layer.Parameters) p.Gradient.Clear();
            layer.Forward([x], true);
            layer.Backward(dy, [dx]);
            return layer.Parameters.SelectMany(p => p.Gradient.Span.ToArray()).ToArray();
        }
        var planar = WeightGradient(null);
        var gemm = WeightGradient(new Tensor(0));
        for (int i = 0; i < gemm.Length; i++) Assert.True(Math.Abs(planar[i] - gemm[i]) <= 1e-4f * (1 + Math.Abs(gemm[i])), $"{i}: {planar[i]} vs {gemm[i]}");
    }

    [Fact]
    public void Linear_gradients_match_finite_differences()
    {
        var spec = new LinearSpec(12, 5);
        var layer = new LinearLayer("fc", spec, GradientChecker.Random(1, 5, 12), GradientChecker.Random(2, 5));
        GradientChecker.Check(layer, [GradientChecker.Random(3, 3, 12, 1, 1)]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BatchNorm_gradients_match_finite_differences(bool training)
    {
        var spec = new BatchNorm2dSpec(3);
        var mean = GradientChecker.Random(3, 3);
        var var_ = new Tensor([0.5f, 1.5f, 2f], 3);
        var layer = new BatchNorm2dLayer("bn", spec, GradientChecker.Random(1, 3), GradientChecker.Random(2, 3), mean, var_);
        if (!training) layer.FreezeStatistics = true; // training-mode backward through running statistics
        GradientChecker.Check(layer, [GradientChecker.Random(4, 4, 3, 3, 2)], training: true);
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(0.5f)]
    public void Relu_gradients_match_finite_differences(float max)
    {
        GradientChecker.Check(new ReluLayer(new ReluSpec(max)), [GradientChecker.Random(5, 2, 3, 4, 4)]);
    }

    [Fact]
    public void Add_gradients_match_finite_differences()
    {
        GradientChecker.Check(new AddLayer(), [GradientChecker.Random(1, 2, 3, 4, 4), GradientChecker.Random(2, 2, 3, 4, 4)]);
    }

    [Theory]
    [InlineData(PoolKind.Max, 2, 2, 0, false)]
    [InlineData(PoolKind.Max, 3, 2, 1, false)]
    [InlineData(PoolKind.Average, 2, 2, 0, false)]
    [InlineData(PoolKind.Average, 3, 2, 1, false)]
    [InlineData(PoolKind.Average, 3, 2, 1, true)]
    public void Pool_gradients_match_finite_differences(PoolKind kind, int k, int s, int p, bool includePad)
    {
        var spec = new Pool2dSpec(kind, k, k, s, s, p, p, p, p, includePad);
        GradientChecker.Check(new Pool2dLayer(spec), [GradientChecker.Random(6, 2, 2, 7, 6)]);
        // 19 columns: the vectorised row reductions as well as their tails.
        GradientChecker.Check(new Pool2dLayer(spec), [GradientChecker.Random(7, 1, 2, 5, 19)]);
    }

    [Fact]
    public void GlobalAvgPool_and_Flatten_gradients_match_finite_differences()
    {
        GradientChecker.Check(new GlobalAvgPoolLayer(), [GradientChecker.Random(7, 2, 3, 4, 5)]);
        GradientChecker.Check(new FlattenLayer(), [GradientChecker.Random(8, 2, 3, 2, 2)]);
    }

    [Fact]
    public void Softmax_gradients_match_finite_differences()
    {
        GradientChecker.Check(new SoftmaxLayer(), [GradientChecker.Random(9, 3, 6, 1, 1)]);
    }

    [Fact]
    public void Dropout_scales_kept_units_and_routes_gradient_through_the_same_mask()
    {
        var layer = new DropoutLayer(new DropoutSpec(0.5f), seed: 3);
        var x = GradientChecker.Random(1, 4, 50, 1, 1);
        var y = layer.Forward([x], training: true);
        var dy = GradientChecker.Random(2, 4, 50, 1, 1);
        var dx = new Tensor(0);
        layer.Backward(dy, [dx]);
        int dropped = 0;
        for (int i = 0; i < x.Length; i++)
        {
            bool kept = y.Data[i] != 0f;
            if (!kept) dropped++;
            Assert.Equal(kept ? 2f * x.Data[i] : 0f, y.Data[i], 5);
            Assert.Equal(kept ? 2f * dy.Data[i] : 0f, dx.Data[i], 5);
        }
        Assert.InRange(dropped, 60, 140); // Binomial(200, 0.5): mean 100, sd 7
        Assert.Equal(x.Span.ToArray(), layer.Forward([x], training: false).Span.ToArray());
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_matches_finite_differences()
    {
        var logits = GradientChecker.Random(3, 4, 5, 1, 1);
        int[] labels = [0, 3, 4, 1];
        var loss = new MixBit.Nn.SoftmaxCrossEntropy(labelSmoothing: 0.1f);
        loss.Compute(logits, labels);
        var analytic = loss.Gradient.Clone();
        const float eps = 1e-3f;
        for (int i = 0; i < logits.Length; i++)
        {
            float orig = logits.Data[i];
            logits.Data[i] = orig + eps; float lp = loss.Compute(logits, labels).Loss;
            logits.Data[i] = orig - eps; float lm = loss.Compute(logits, labels).Loss;
            logits.Data[i] = orig;
            Assert.Equal((lp - lm) / (2 * eps), analytic.Data[i], 2e-3f);
        }
    }
}
