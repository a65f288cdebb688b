using MixBit.Nn.Layers;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Tests.Nn;

[Collection(GlobalStateCollection.Name)]
public class ConvForwardTests
{
    /// <summary>
    /// Maps whose rows take the 8-, 4- and 1-position passes and whose sizes take the 8- and 4-position transposes and
    /// their tails; 20 channels = two full lane blocks and a partial one, run by one call or split between threads.
    /// </summary>
    [Theory]
    [InlineData(1, 2, 2, 1)]
    [InlineData(3, 4, 4, 1)]
    [InlineData(1, 14, 14, 1)]
    [InlineData(2, 9, 9, 2)]
    [InlineData(2, 7, 7, 1)]
    [InlineData(1, 28, 28, 2)]
    public void Depthwise_forward_is_the_convolution(int n, int h, int w, int stride)
        => AssertIsTheConvolution(Conv2dSpec.Square(20, 20, 3, stride, groups: 20, hasBias: true), n, h, w);

    /// <summary>Standard convolutions through im2col + GEMM, one image's channels split between workers at batch 1.</summary>
    [Theory]
    [InlineData(1, 6, 5, 2, 1)]
    [InlineData(1, 7, 4, 4, 2)]
    [InlineData(2, 5, 6, 8, 1)]
    public void Im2col_forward_is_the_convolution(int n, int h, int w, int outChannels, int stride)
        => AssertIsTheConvolution(Conv2dSpec.Square(5, outChannels, 3, stride, hasBias: true), n, h, w); // 5 x 3 x 3 = 45 inputs: im2col, not the planar stem kernels

    /// <summary>Input maps smaller than the 3x3 kernel at batch 8 and more: one dense product with the unrolled weights.</summary>
    [Theory]
    [InlineData(8, 2, 2, 1)]
    [InlineData(9, 2, 2, 2)]
    [InlineData(8, 1, 1, 1)]
    [InlineData(10, 2, 3, 1)]
    public void Forward_on_maps_smaller_than_the_kernel_is_the_convolution(int n, int h, int w, int stride)
    {
        var spec = Conv2dSpec.Square(5, 7, 3, stride, hasBias: true);
        var geo = new ConvGeometry(spec, h, w, (h - 1) / stride + 1, (w - 1) / stride + 1);
        Assert.True(UnrolledConv.Prefers(spec, geo, n, frozen: true)); // the path under test
        Assert.False(UnrolledConv.Prefers(spec, geo, 1, frozen: true)); // batch 1 streams the (smaller) weights through im2col
        Assert.False(UnrolledConv.Prefers(spec, geo, n, frozen: false)); // training: U would be made on every call
        AssertIsTheConvolution(spec, n, h, w, frozen: true);
    }

    /// <summary>
    /// The unrolled weights are kept within a frozen period and made again in the next one (new weights take effect),
    /// and the fused epilogue (bias, clamp) applies to the unrolled product as to the others.
    /// </summary>
    [Fact]
    public void Unrolled_weights_are_made_again_in_each_frozen_period()
    {
        var spec = Conv2dSpec.Square(4, 6, 3, 1, hasBias: true);
        var weight = GradientChecker.Random(2, spec.Parameters[0].Shape);
        var bias = GradientChecker.Random(3, 6);
        var x = GradientChecker.Random(4, 8, 4, 2, 2);
        var layer = new Conv2dLayer("c", spec, weight, bias);
        var plain = layer.Forward([x], false).Data.ToArray(); // im2col
        var clamped = layer.ForwardFused(x, weight.Data, bias.Data, -0.5f, 0.25f, frozenPeriod: 1).Data.ToArray();
        for (int i = 0; i < plain.Length; i++) Assert.True(Math.Abs(Math.Clamp(plain[i], -0.5f, 0.25f) - clamped[i]) < 1e-5f, $"element {i}");
        for (int i = 0; i < weight.Length; i++) weight.Data[i] *= 2f;
        var doubled = layer.ForwardFused(x, weight.Data, bias.Data, float.NegativeInfinity, float.PositiveInfinity, frozenPeriod: 2).Data;
        for (int i = 0; i < plain.Length; i++)
            Assert.True(Math.Abs(doubled[i] - (2f * (plain[i] - bias.Data[i / 4 % 6]) + bias.Data[i / 4 % 6])) < 1e-5f, $"element {i}");
    }

    /// <summary>The layer's forward (3x3, padding 1) at 1 and 3 threads against a direct convolution in double precision.</summary>
    /// <param name="frozen">Through the inference entry in a frozen period (the unrolled product's condition).</param>
    private static void AssertIsTheConvolution(Conv2dSpec spec, int n, int h, int w, bool frozen = false)
    {
        int cin = spec.InChannels, cout = spec.OutChannels, stride = spec.StrideH;
        int cinG = cin / spec.Groups, coutG = cout / spec.Groups;
        var weight = GradientChecker.Random(2, spec.Parameters[0].Shape);
        var bias = GradientChecker.Random(3, cout);
        var x = GradientChecker.Random(4, n, cin, h, w);
        int saved = Workers.Count;
        try
        {
            foreach (int threads in new[] { 1, 3 })
            {
                Workers.Count = threads;
                var layer = new Conv2dLayer("c", spec, weight, bias);
                var y = frozen
                    ? layer.ForwardFused(x, weight.Data, bias.Data, float.NegativeInfinity, float.PositiveInfinity, frozenPeriod: 1)
                    : layer.Forward([x], false);
                int oh = y.Dim(2), ow = y.Dim(3);
                for (int i = 0; i < n; i++)
                    for (int o = 0; o < cout; o++)
                        for (int oy = 0; oy < oh; oy++)
                            for (int ox = 0; ox < ow; ox++)
                            {
                                double s = bias.Data[o];
                                for (int cg = 0; cg < cinG; cg++)
                                    for (int ky = 0; ky < 3; ky++)
                                        for (int kx = 0; kx < 3; kx++)
                                        {
                                            int c = o / coutG * cinG + cg, iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx;
                                            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                                s += (double)weight.Data[((o * cinG + cg) * 3 + ky) * 3 + kx] * x.Data[((i * cin + c) * h + iy) * w + ix];
                                        }
                                float got = y.Data[((i * cout + o) * oh + oy) * ow + ox];
                                Assert.True(Math.Abs(got - s) < 1e-5, $"threads {threads}, image {i}, channel {o}, ({oy}, {ox}): {got} vs {s}");
                            }
            }
        }
        finally { Workers.Count = saved; }
    }
}
