using System.Runtime.Intrinsics;
using MixBit.Tensors;

namespace MixBit.Tests.Tensors;

[Collection(GlobalStateCollection.Name)]
public class GemmTests
{
    public static TheoryData<bool, bool, int, int, int> Cases()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        // Edges of the 4 x 24 register block, several K blocks (K > 256), and a K-chunked product (small M x N, K > 2048).
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 17, 3), (4, 24, 9), (13, 33, 27), (64, 100, 7), (9, 50, 600), (3, 5, 3000) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(ta, tb, m, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gemm_matches_a_naive_product(bool transA, bool transB, int m, int n, int k)
    {
        var rng = new Random(m * 31 + n * 7 + k);
        float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c0 = RandomArray(rng, m * n);
        int lda = transA ? m : k, ldb = transB ? k : n;
        foreach (var backend in new[] { GemmBackend.Managed, GemmBackend.OpenBlas })
        {
            if (backend == GemmBackend.OpenBlas && !Gemm.OpenBlasAvailable) continue;
            var saved = Gemm.Backend;
            var c = (float[])c0.Clone();
            try
            {
                Gemm.Backend = backend;
                Gemm.Multiply(transA, transB, m, n, k, 0.5f, a, lda, b, ldb, 2f, c, n);
            }
            finally { Gemm.Backend = saved; }
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double t = (transA ? a[p * lda + i] : a[i * lda + p]) * (double)(transB ? b[j * ldb + p] : b[p * ldb + j]);
                        s += t; mag += Math.Abs(t);
                    }
                    Assert.True(Math.Abs(0.5 * s + 2 * c0[i * n + j] - c[i * n + j]) <= 1e-5 * (mag + 2), $"{backend} ({i}, {j})");
                }
        }
    }

    [Theory]
    [InlineData(3, 8, 5, 49)] // 7x7 maps: register tiles span two images
    [InlineData(2, 16, 12, 4)] // 2x2 maps: one tile spans six images
    [InlineData(7, 16, 300, 4)] // 2x2 maps, a full tile stored in runs of four, then a partial one; two K blocks
    [InlineData(5, 4, 300, 16)] // several K blocks
    public void Products_over_the_images_of_an_nchw_batch_match_per_image_products(int images, int cout, int cin, int hw)
    {
        // Forward: Y[n] = clamp(W * X[n] + bias, 0, 0.5); weight gradient: dW = 0.25 + sum_n dY[n] * X[n]^T.
        var rng = new Random(images * 100 + hw);
        float[] w = RandomArray(rng, cout * cin), x = RandomArray(rng, images * cin * hw), bias = RandomArray(rng, cout);
        var y = new float[images * cout * hw];
        Gemm.Multiply(cout, images * hw, cin, 1f, MatrixView.RowMajor(w, cin), MatrixView.Nchw(x, 0, hw, cin * hw), 0f,
            MatrixView.Nchw(y, 0, hw, cout * hw), new GemmEpilogue(bias, 0f, 0.5f));
        var dW = Enumerable.Repeat(0.25f, cout * cin).ToArray();
        Gemm.Multiply(cout, cin, images * hw, 1f, MatrixView.Nchw(y, 0, hw, cout * hw), MatrixView.Nchw(x, 0, hw, cin * hw).Transposed, 1f,
            MatrixView.RowMajor(dW, cin));
        var dWExpected = new double[cout * cin];
        for (int img = 0; img < images; img++)
            for (int o = 0; o < cout; o++)
                for (int p = 0; p < hw; p++)
                {
                    double s = bias[o];
                    for (int i = 0; i < cin; i++) s += w[o * cin + i] * (double)x[(img * cin + i) * hw + p];
                    float expected = (float)Math.Clamp(s, 0, 0.5);
                    float got = y[(img * cout + o) * hw + p];
                    Assert.True(Math.Abs(expected - got) <= 1e-5, $"y[{img}, {o}, {p}]: {got} vs {expected}");
                    for (int i = 0; i < cin; i++) dWExpected[o * cin + i] += got * (double)x[(img * cin + i) * hw + p];
                }
        for (int e = 0; e < dW.Length; e++) Assert.True(Math.Abs(dWExpected[e] + 0.25 - dW[e]) <= 1e-4, $"dW[{e}]");
    }

    [Fact]
    public void Results_are_bit_identical_for_any_number_of_threads()
    {
        var rng = new Random(5);
        float[] a = RandomArray(rng, 70 * 3000), b = RandomArray(rng, 3000 * 90);
        float[] Run(int threads, int m, int n, int k)
        {
            int saved = Workers.Count;
            try
            {
                Workers.Count = threads;
                var c = new float[m * n];
                Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
                return c;
            }
            finally { Workers.Count = saved; }
        }
        foreach (var (m, n, k) in new[] { (70, 90, 300), (3, 5, 3000) })
        {
            var one = Run(1, m, n, k);
            Assert.Equal(one, Run(2, m, n, k));
            Assert.Equal(one, Run(3, m, n, k));
        }
    }

    [Theory]
    [InlineData(256, 8, 256, 4, true)]    // pointwise layer on 2x2 maps at batch 2, bias + ReLU6
    [InlineData(128, 16, 128, 16, false)] // 4x4 map: stays as it is
    [InlineData(40, 6, 3000, 0, false)]   // K-chunked (few tiles, K > 2048), beta 1
    [InlineData(30, 7, 300, 7, true)]     // rows and columns off the register block, several K blocks
    [InlineData(64, 8, 50, 4, true)]      // two images of a 2x2 map in one product
    public void A_product_with_few_columns_runs_transposed_with_the_same_bits(int m, int n, int k, int hw, bool epilogue)
    {
        var rng = new Random(m + n + k);
        float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), bias = RandomArray(rng, m), c0 = RandomArray(rng, m * n);
        // hw > 0: B and C are NCHW batches of n / hw images of hw positions; else row-major.
        var vb = hw > 0 ? MatrixView.Nchw(b, 0, hw, k * hw) : MatrixView.RowMajor(b, n);
        var vcOf = (float[] c) => hw > 0 ? MatrixView.Nchw(c, 0, hw, m * hw) : MatrixView.RowMajor(c, n);
        var e = epilogue ? new GemmEpilogue(bias, 0f, 0.5f) : default;
        float beta = epilogue ? 0f : 1f;
        float[] Product(bool allowSkinnyPaths)
        {
            var c = (float[])c0.Clone();
            ManagedGemm.Multiply(m, n, k, 1f, MatrixView.RowMajor(a, k), vb, beta, vcOf(c), e, allowSkinnyPaths);
            return c;
        }
        Assert.Equal(m != 128, ManagedGemm.PrefersTransposed(m, n));
        Assert.False(ManagedGemm.PrefersDots(m, n, MatrixView.RowMajor(a, k), vb));
        var plain = Product(false);
        Assert.Equal(plain, Product(true));
        // And both are the product.
        AssertProduct(m, n, k, a, vb, plain, vcOf(plain), (i, s, at) => epilogue ? Math.Clamp(s + bias[i], 0, 0.5) : s + c0[at]);
    }

    /// <summary>Each C(i, j) (at index at of <paramref name="c"/>) is expected(i, sum_p A(i, p) B(p, j), at), A row-major M x K.</summary>
    private static void AssertProduct(int m, int n, int k, float[] a, MatrixView vb, float[] c, MatrixView vc, Func<int, double, int, double> expected)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = a[i * k + p] * (double)vb.Data[vb.Offset + vb.RowIndex(p) + vb.ColIndex(j)];
                    s += t; mag += Math.Abs(t);
                }
                int at = vc.RowIndex(i) + vc.ColIndex(j);
                double e = expected(i, s, at);
                Assert.True(Math.Abs(e - c[at]) <= 1e-5 * (mag + 2), $"({i}, {j}): {c[at]} vs {e}");
            }
    }

    [Theory]
    [InlineData(1, 1000, 1280, false, false)] // batch-1 fully connected layer: x W^T
    [InlineData(3, 70, 37, false, true)]      // three rows, odd k, beta 1
    [InlineData(1280, 4, 320, true, false)]   // 1x1 conv on a 2x2 map: W X, X an NCHW image
    [InlineData(50, 2, 9, true, true)]        // two columns, k below one vector
    public void Skinny_products_run_as_dot_products_and_are_the_product(int m, int n, int k, bool columnsShort, bool accumulate)
    {
        var rng = new Random(m * 3 + n + k);
        float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c0 = RandomArray(rng, m * n), bias = RandomArray(rng, m);
        // columnsShort: A row-major (rows have adjacent k), B an NCHW image of n positions; else B = W^T of a row-major W.
        var va = MatrixView.RowMajor(a, k);
        var vb = columnsShort ? MatrixView.Nchw(b, 0, n, k * n) : MatrixView.RowMajor(b, k).Transposed;
        Assert.True(ManagedGemm.PrefersDots(m, n, va, vb));
        var e = accumulate ? default : new GemmEpilogue(bias, -0.5f, 0.5f);
        float[] Run(int threads)
        {
            int saved = Workers.Count;
            try
            {
                Workers.Count = threads;
                var c = (float[])c0.Clone();
                Gemm.Multiply(m, n, k, 0.5f, va, vb, accumulate ? 1f : 0f, MatrixView.RowMajor(c, n), e);
                return c;
            }
            finally { Workers.Count = saved; }
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
        AssertProduct(m, n, k, a, vb, one, MatrixView.RowMajor(one, n),
            (i, s, at) => accumulate ? 0.5 * s + c0[at] : Math.Clamp(0.5 * s + bias[i], -0.5, 0.5));
    }

    [Fact]
    public void Lane_sums_add_each_vector_in_the_same_fixed_tree_with_or_without_avx()
    {
        var rng = new Random(5);
        var v = Enumerable.Range(0, 4).Select(_ => Vector256.Create(Enumerable.Range(0, 8).Select(_ => (float)(rng.NextDouble() * 1e3 - 500) * 1e-3f).ToArray())).ToArray();
        var sums = ManagedGemm.LaneSums(v[0], v[1], v[2], v[3]);
        for (int q = 0; q < 4; q++)
        {
            var x = v[q];
            float tree = ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]));
            Assert.Equal(BitConverter.SingleToInt32Bits(tree), BitConverter.SingleToInt32Bits(sums[q]));
        }
    }

    [Fact]
    public void Undersized_operands_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(2, 8, 1, 1f, MatrixView.RowMajor(new float[2], 1),
            MatrixView.Nchw(new float[8], 0, 4, 5), 0f, MatrixView.RowMajor(new float[16], 8)));
    }

    private static float[] RandomArray(Random rng, int length) => Enumerable.Range(0, length).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
}
