using MixBit.Integer;
using MixBit.Quantization;
using Xunit.Abstractions;

namespace MixBit.Tests.Integer;

public class IntegerEngineTests(ITestOutputHelper output)
{
    /// <summary>
    /// Every op of random models under random policies, fed the fake-quant network's own input codes, gives the fake-quant
    /// network's output codes up to rounding. Two sources of difference, both bounded: the float model rounds a float sum
    /// (near a tie it can go either way: 1 LSB), and the integer bias is rounded to accumulator steps (s_in * s_w), which
    /// moves a layer's output by at most M / 2 LSB, M = s_in * s_w / s_out its multiplier. So: |difference| &lt;= 1 + ceil(M / 2)
    /// everywhere, and where M &lt;= 1/8 (every 8-bit and 4-bit layer of a real model) almost no code differs. Scalar and SIMD
    /// kernels alike; every (input, weight, output) bit triple of the policy space occurs.
    /// </summary>
    [Fact]
    public void Every_op_matches_the_fake_quant_network_within_its_rounding_bound()
    {
        var rng = new Random(11);
        var triples = new HashSet<(int, int, int)>();
        long fineCompared = 0, fineDiffer = 0, coarseCompared = 0, coarseDiffer = 0;
        for (int trial = 0; trial < 40; trial++)
        {
            var graph = IntegerTestModels.Random(rng, trial);
            var policy = IntegerTestModels.RandomPolicy(graph, rng);
            var options = new QuantizationOptions { BatchNorm = trial % 3 == 0 ? BatchNormMode.Keep : BatchNormMode.Fold, PerChannelWeights = trial % 5 != 0 };
            var c = IntegerTestModels.Calibrated(graph, policy, options, seed: trial);
            var codes = IntegerTestModels.FakeQuantCodes(c, 4);
            var model = c.Quantized;
            var engine = new IntegerEngine(model);
            var pixels = IntegerTestModels.Nhwc(c.Images, 4);
            for (int i = 0; i < 4; i++) // the input grid folds the normalisation: the fake-quant input codes are the pixels
                Assert.Equal(pixels.AsSpan(i * model.Input.Elements, model.Input.Elements).ToArray().Select(p => (int)p), codes[i][0]);
            for (int o = 0; o < model.Ops.Length; o++)
            {
                var op = model.Ops[o];
                double m = 0;
                if (op is QuantizedLayer l)
                {
                    triples.Add((model.Tensors[l.Input].Bits, l.WeightBits, model.Tensors[l.Output].Bits));
                    m = l.Multipliers.Max(x => x.Real);
                }
                double bound = 1 + Math.Ceiling(m / 2);
                foreach (bool simd in new[] { false, true })
                {
                    engine.UseSimd = simd;
                    for (int i = 0; i < 4; i++)
                    {
                        var actual = engine.RunOp(o, op.Inputs.Distinct().ToDictionary(t => t, t => codes[i][t]));
                        var expected = codes[i][op.Output];
                        int differ = 0;
                        for (int k = 0; k < expected.Length; k++)
                        {
                            int d = Math.Abs(actual[k] - expected[k]);
                            Assert.True(d <= bound, $"{graph.Name} op {op.Name} ({op.Kind}) simd {simd} image {i} element {k}: integer {actual[k]}, fake-quant {expected[k]}, bound {bound}");
                            if (d != 0) differ++;
                        }
                        if (m <= 1.0 / 8) (fineCompared, fineDiffer) = (fineCompared + expected.Length, fineDiffer + differ);
                        else (coarseCompared, coarseDiffer) = (coarseCompared + expected.Length, coarseDiffer + differ);
                    }
                }
            }
        }
        output.WriteLine($"ops with M <= 1/8: {fineDiffer:N0} of {fineCompared:N0} codes differ; M > 1/8: {coarseDiffer:N0} of {coarseCompared:N0}");
        Assert.True(fineDiffer * 200 < fineCompared, $"{fineDiffer} of {fineCompared} codes differ where M <= 1/8");
        var all = BitPolicy.AllowedBits;
        Assert.All(all.SelectMany(a => all.SelectMany(w => all.Select(y => (a, w, y)))), t => Assert.Contains(t, triples));
    }
}
