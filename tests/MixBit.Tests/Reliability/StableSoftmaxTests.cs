using FsCheck;
using FsCheck.Fluent;
using MixBit.Models.Onnx;
using MixBit.Nn;
using MixBit.Quantization;
using MixBit.Tensors;
using MixBit.Tests.Onnx;

namespace MixBit.Tests.Reliability;

/// <summary>
/// Softmax, log-softmax, the losses and the fidelity metric stay finite and exact for large logits (issue 12: logits
/// above about 88 gave NaN or all zeros). The reference is softmax in double precision through log-sum-exp.
/// </summary>
public class StableSoftmaxTests
{
    private static double[] Reference(ReadOnlySpan<float> z)
    {
        double max = double.NegativeInfinity;
        foreach (float v in z) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in z) sum += Math.Exp(v - max);
        var p = new double[z.Length];
        for (int j = 0; j < z.Length; j++) p[j] = Math.Exp(z[j] - max) / sum;
        return p;
    }

    private static double ReferenceKl(float[] a, float[] b)
    {
        var (p, q) = (Reference(a), Reference(b));
        double kl = 0;
        for (int j = 0; j < a.Length; j++) if (p[j] > 0) kl += p[j] * (Math.Log(p[j]) - Math.Log(q[j]));
        return kl;
    }

    /// <summary>Equal to float precision: relative 1e-6, or absolute 1e-30 for values that underflow in float.</summary>
    private static void AssertClose(double expected, float actual)
        => Assert.True(Math.Abs(actual - expected) <= 1e-6 * expected + 1e-30, $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void Softmax_of_logits_120_100_10_is_1_2e9_0_not_NaN()
    {
        float[] z = [120, 100, 10];
        var p = new float[3];
        Softmax.Compute(z, p);
        var expected = Reference(z);
        for (int j = 0; j < 3; j++) AssertClose(expected[j], p[j]);
        Assert.True(p[1] > 0, "exp(-20) must not underflow to 0 in float");
    }

    [Fact]
    public void Softmax_and_log_softmax_match_double_precision_for_any_offset()
    {
        var logits = Gen.Choose(-5000, 5000).Select(v => v / 100f).ArrayOf().Where(a => a.Length is > 0 and < 40);
        var offsets = Gen.Elements(0f, 88f, 89f, 500f, -500f, 1e4f, -1e4f, 3e37f);
        Prop.ForAll(logits.ToArbitrary(), offsets.ToArbitrary(), (z0, c) =>
        {
            var z = z0.Select(v => v + c).ToArray();
            var (p, logp, scratch) = (new float[z.Length], new float[z.Length], new float[z.Length]);
            Softmax.Compute(z, p);
            Softmax.Log(z, logp, scratch);
            var expected = Reference(z);
            for (int j = 0; j < z.Length; j++)
            {
                if (!(Math.Abs(p[j] - expected[j]) <= 1e-6 + 1e-5 * expected[j])) return false;
                if (!float.IsFinite(logp[j])) return false;
                if (expected[j] > 1e-30 && Math.Abs(logp[j] - Math.Log(expected[j])) > 1e-3 + 1e-5 * Math.Abs(Math.Log(expected[j]))) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Cross_entropy_of_large_logits_is_finite_and_exact()
    {
        var logits = new Tensor([120f, 100f, 10f, 1000f, -1000f, 0f], 2, 3);
        var loss = new SoftmaxCrossEntropy();
        var (l, correct) = loss.Compute(logits, [2, 0]);
        // -log p of the labelled classes: 110 + log(1 + e^-20 + e^-110), and log(1 + e^-2000 + e^-1000) ~ 0.
        double expected = (110 + Math.Log(1 + Math.Exp(-20) + Math.Exp(-110)) + Math.Log(1 + Math.Exp(-2000) + Math.Exp(-1000))) / 2;
        Assert.Equal(expected, l, 4);
        Assert.Equal(1, correct);
        Assert.All(loss.Gradient.Data, g => Assert.True(float.IsFinite(g)));
        for (int i = 0; i < 2; i++) Assert.Equal(0, loss.Gradient.Data.Skip(3 * i).Take(3).Sum(), 6);
    }

    [Fact]
    public void Distillation_and_fidelity_KL_are_finite_for_large_logits()
    {
        float[] teacher = [300f, 100f, -200f, 0f], student = [90f, 120f, 10f, -400f];
        var distill = new DistillationLoss(temperature: 1f, weight: 1f);
        var (l, _) = distill.Compute(new Tensor(student, 1, 4), new Tensor(teacher, 1, 4), [0]);
        Assert.Equal(ReferenceKl(teacher, student), l, 3);
        Assert.All(distill.Gradient.Data, g => Assert.True(float.IsFinite(g)));

        var (agree, kl) = FidelityMetrics.Compare(teacher, student, 1, 4);
        Assert.Equal(0, agree);
        Assert.Equal(ReferenceKl(teacher, student), kl, 3);
        Assert.Equal(0, FidelityMetrics.Compare(teacher, teacher, 1, 4).Kl, 9);
    }

    [Fact]
    public void Imported_flatten_gemm_softmax_returns_1_2e9_0_for_logits_120_100_10()
    {
        var s = new OnnxSketch(13, 3, 1, 1);
        var flat = s.Node("Flatten", "flat", ["x"]);
        var gemm = s.Node("Gemm", "fc", [flat, s.Weight("w", [3, 3], values: [1, 0, 0, 0, 1, 0, 0, 0, 1]), s.Weight("b", [3], values: [0, 0, 0])], ("transB", 1));
        var model = OnnxImporter.Import(s.Build(s.Node("Softmax", "sm", [gemm])), "sketch");
        var y = new Network(model).Forward(new Tensor([120f, 100f, 10f], 1, 3, 1, 1), training: false);
        var expected = Reference([120f, 100f, 10f]);
        for (int j = 0; j < 3; j++) AssertClose(expected[j], y.Data[j]);
    }
}
