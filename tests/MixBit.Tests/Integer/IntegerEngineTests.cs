using MixBit.Integer;
using MixBit.Quantization;
using Xunit.Abstractions;

namespace MixBit.Tests.Integer;

public class IntegerEngineTests(ITestOutputHelper output)
{
    /// <summary>
    /// Every op of random models under random policies, fed the fake-quant network's own input codes, gives the fake-quant
    /// network's output codes up to the rounding of one value: the fake-quant network rounds a float sum half to even, the
    /// integer model an exact integer half up, so near a tie they may differ by 1 LSB; nothing else differs (the fake-quant
    /// network adds the integer model's bias, <see cref="IntegerBias"/>). Scalar and SIMD kernels alike; every
    /// (input, weight, output) bit triple of the policy space occurs.
    /// </summary>
    [Fact]
    public void Every_op_matches_the_fake_quant_network_within_its_rounding_bound()
    {
        var rng = new Random(11);
        var triples = new HashSet<(int, int, int)>();
        long compared = 0, differ = 0;
        for (int trial = 0; trial < 40; trial++)
        {
            var graph = IntegerTestModels.Random(rng, trial);
            var policy = IntegerTestModels.RandomPolicy(graph, rng);
            var options = new QuantizationOptions { BatchNorm = trial % 3 == 0 ? BatchNormMode.Keep : BatchNormMode.Fold, PerChannelWeights = trial % 5 != 0 };
            var c = IntegerTestModels.Calibrated(graph, policy, options, seed: trial);
            var codes = IntegerTestModels.FakeQuantCodes(c, 4);
            var model = c.Quantized;
            var engine = new IntegerEngine(model);
            var pixels = ImagePixels.Nhwc(c.Images, 4);
            for (int i = 0; i < 4; i++) // the input grid folds the normalisation: the fake-quant input codes are the pixels
                Assert.Equal(pixels.AsSpan(i * model.Input.Elements, model.Input.Elements).ToArray().Select(p => (int)p), codes[i][0]);
            for (int o = 0; o < model.Ops.Length; o++)
            {
                var op = model.Ops[o];
                if (op is QuantizedLayer l) triples.Add((model.Tensors[l.Input].Bits, l.WeightBits, model.Tensors[l.Output].Bits));
                foreach (bool simd in new[] { false, true })
                {
                    engine.UseSimd = simd;
                    for (int i = 0; i < 4; i++)
                    {
                        var actual = engine.RunOp(o, op.Inputs.Distinct().ToDictionary(t => t, t => codes[i][t]));
                        var expected = codes[i][op.Output];
                        for (int k = 0; k < expected.Length; k++)
                        {
                            int d = Math.Abs(actual[k] - expected[k]);
                            Assert.True(d <= 1, $"{graph.Name} op {op.Name} ({op.Kind}) simd {simd} image {i} element {k}: integer {actual[k]}, fake-quant {expected[k]}");
                            if (d != 0) differ++;
                        }
                        compared += expected.Length;
                    }
                }
            }
        }
        output.WriteLine($"{differ:N0} of {compared:N0} codes differ by 1 LSB");
        Assert.True(differ * 100 < compared, $"{differ} of {compared} codes differ");
        var all = BitPolicy.AllowedBits;
        Assert.All(all.SelectMany(a => all.SelectMany(w => all.Select(y => (a, w, y)))), t => Assert.Contains(t, triples));
    }

    /// <summary>
    /// Whole random models, batch-run on all workers: the SIMD and scalar engines give the same logits, and those agree
    /// with the fake-quant network's top-1 on at least 99 % of the images (the largest logit difference is reported).
    /// </summary>
    [Fact]
    public void Whole_models_agree_with_the_fake_quant_network_and_simd_equals_scalar()
    {
        var rng = new Random(12);
        int images = 0, agree = 0, maxDifference = 0;
        for (int trial = 0; trial < 12; trial++)
        {
            var graph = IntegerTestModels.Random(rng, trial);
            var c = IntegerTestModels.Calibrated(graph, IntegerTestModels.RandomPolicy(graph, rng), new QuantizationOptions(), seed: 100 + trial);
            var engine = new IntegerEngine(c.Quantized);
            var f = IntegerEvaluation.Compare(c.Network, engine, c.Images, c.Normalization);
            var simd = IntegerEvaluation.Run(engine, c.Images).OutputCodes;
            engine.UseSimd = false;
            Assert.Equal(simd, IntegerEvaluation.Run(engine, c.Images).OutputCodes);
            images += f.Images;
            agree += (int)Math.Round(f.Agreement * f.Images);
            maxDifference = Math.Max(maxDifference, f.MaxLogitDifference);
        }
        output.WriteLine($"top-1 agreement {agree} of {images}, largest logit difference {maxDifference} LSB");
        Assert.True(agree >= images * 0.99, $"top-1 agreement {agree} of {images}");
    }
}
