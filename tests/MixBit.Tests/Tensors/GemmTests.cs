using MixBit.Tensors;

namespace MixBit.Tests.Tensors;

[Collection(GlobalStateCollection.Name)]
public class GemmTests
{
    public static TheoryData<bool, bool, int, int, int> Cases()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 17, 3), (4, 16, 9), (13, 33, 27), (64, 100, 7) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(ta, tb, m, n, k);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Managed_gemm_matches_a_naive_product(bool transA, bool transB, int m, int n, int k)
    {
        var rng = new Random(m * 31 + n * 7 + k);
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] c0 = Enumerable.Range(0, m * n).Select(_ => (float)rng.NextDouble()).ToArray();
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
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += (transA ? a[p * lda + i] : a[i * lda + p]) * (double)(transB ? b[j * ldb + p] : b[p * ldb + j]);
                    Assert.Equal(0.5 * s + 2 * c0[i * n + j], c[i * n + j], 1e-4);
                }
        }
    }

    [Fact]
    public void Undersized_operands_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
    }
}
