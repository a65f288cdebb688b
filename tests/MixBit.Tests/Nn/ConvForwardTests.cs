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

    /// <summary>The layer's forward (3x3, padding 1) at 1 and 3 threads against a direct convolution in double precision.</summary>
    private static void AssertIsTheConvolution(Conv2dSpec spec, int n, int h, int w)
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
                var y = new Conv2dLayer("c", spec, weight, bias).Forward([x], false);
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
