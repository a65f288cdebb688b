using MixBit.Data;
using MixBit.Nn;
using MixBit.Nn.Specs;
using MixBit.Nn.Training;
using MixBit.Quantization;
using MixBit.Tensors;
using MixBit.Tests.Memory;
using MixBit.Tests.Nn;

namespace MixBit.Tests.Quantization;

public class FakeQuantNetworkTests
{
    [Theory]
    [InlineData(BatchNormMode.Fold)]
    [InlineData(BatchNormMode.Keep)]
    public void Folded_and_unfolded_batch_norm_give_the_float_outputs_when_quantization_is_off(BatchNormMode mode)
    {
        foreach (var graph in new[] { QuantTestModels.TinyCnn(), MemoryTestModels.Residual() })
        {
            var model = QuantTestModels.WithRandomBatchNorm(graph, 4);
            var s = graph.InputShape;
            var x = GradientChecker.Random(8, 3, s.Channels, s.Height, s.Width);
            var expected = new Network(model).Forward(x).Span.ToArray();
            var fq = new FakeQuantNetwork(model, BitPolicy.Uniform(graph, 2, 2), new QuantizationOptions { BatchNorm = mode }, Normalization.Identity(s.Channels));
            fq.QuantizeWeights = false;
            fq.QuantizeActivations = false;
            var actual = fq.Network.Forward(x).Span.ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f, $"{graph.Name}[{i}]: {expected[i]} vs {actual[i]}");
            fq.QuantizeWeights = true;
            Assert.NotEqual(expected, fq.Network.Forward(x).Span.ToArray());
        }
    }

    [Fact]
    public void Folded_layer_gradients_for_weights_bias_gamma_and_beta_match_finite_differences()
    {
        var graph = QuantTestModels.TinyCnn();
        var model = QuantTestModels.WithRandomBatchNorm(graph, 6);
        var pw = graph.Nodes[graph.IndexOf("pw")];
        var bnNode = graph.Nodes[graph.IndexOf("pw.bn")];
        Tensor P(string n) => model.Parameter(n);
        var bn = new BatchNormParameters("pw.bn", (BatchNorm2dSpec)bnNode.Spec, P("pw.bn.weight"), P("pw.bn.bias"), P("pw.bn.running_mean"), P("pw.bn.running_var"));
        var layer = new QuantizedWeightLayer("pw", pw.Spec, P("pw.weight"), P("pw.bias"), bn, new WeightQuantizer(8, new QuantizationOptions()))
            { Enabled = false, FreezeStatistics = true };
        GradientChecker.Check(layer, [GradientChecker.Random(2, 2, 6, 3, 3)]);
    }

    [Fact]
    public void Add_output_takes_the_larger_input_bits_and_its_fused_relu_makes_it_unsigned()
    {
        var graph = MemoryTestModels.Residual();
        var policy = BitPolicy.Uniform(graph, 8, 8).With("c1", 8, 2).With("c3", 8, 4);
        var fq = new FakeQuantNetwork(Model.Initialize(graph, 1), policy, new QuantizationOptions(), Normalization.Identity(graph.InputShape.Channels));
        var addQuantizer = fq.ActivationQuantizers.Single(q => q.Name == "add");
        Assert.Equal(4, addQuantizer.Bits);
        Assert.False(addQuantizer.Signed); // the ReLU after the Add is its clamp
        Assert.True(fq.ActivationQuantizers.Single(q => q.Name == "c3").Signed); // no activation: signed
        Assert.Equal(8, fq.ActivationQuantizers.Single(q => q.Name == "fc").Bits); // int8 logits whatever the policy
    }

    [Fact]
    public void Fake_quant_network_and_plan_agree_on_every_tensor_on_random_models_and_policies()
    {
        var rng = new Random(77);
        var bits = BitPolicy.AllowedBits;
        for (int trial = 0; trial < 60; trial++)
        {
            var graph = MemoryTestModels.Random(rng, trial);
            var policy = BitPolicy.Create(graph, BitPolicy.QuantizableLayers(graph).Select(l =>
                KeyValuePair.Create(l, new LayerBits(bits[rng.Next(3)], bits[rng.Next(3)]))));
            var fq = new FakeQuantNetwork(Model.Initialize(graph, trial), policy, new QuantizationOptions(), Normalization.Identity(graph.InputShape.Channels));
            var plan = fq.Plan;
            var cost = plan.Price(policy);
            foreach (var t in plan.Tensors)
            {
                var q = fq.QuantizerOf(t.Id);
                if (q is null)
                {
                    // Only a max pool shares a grid (its input's), and then it also has its input's bits.
                    Assert.NotEqual(t.Id, t.GridOf);
                    Assert.Equal(cost.BitsOf(t.GridOf), cost.BitsOf(t.Id));
                    continue;
                }
                Assert.Equal(t.Name, q.Name);
                Assert.Equal(cost.BitsOf(t.Id), q.Bits);
                Assert.Equal(t.Signed, q.Signed);
            }
            foreach (var op in plan.Ops.Where(o => o.IsQuantizedLayer))
                Assert.Equal(cost.Op(op.Name).WeightBits, fq.WeightLayers[op.Name].Quantizer.Bits);
            // The quantizer sits on the op's last fused node: the same values the plan's tensor holds.
            var outputs = fq.Network.Forward(GradientChecker.Random(trial, 2, graph.InputShape.Channels, graph.InputShape.Height, graph.InputShape.Width), training: false);
            Assert.All(outputs.Data, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void Policy_evaluation_is_a_function_of_the_policy_only()
    {
        var graph = QuantTestModels.TinyCnn();
        var model = QuantTestModels.WithRandomBatchNorm(graph, 2);
        var data = QuantTestModels.Quadrants(300, 1);
        var norm = Normalization.FromTrainingSet(data);
        var options = new QuantizationOptions { CalibrationBatches = 2, CalibrationBatchSize = 50 };
        var a = BitPolicy.Uniform(graph, 4, 4);
        var b = BitPolicy.Uniform(graph, 2, 8).With("c1", 8, 8);
        var evaluator = new PolicyEvaluator(model, norm, data, data, options);
        var first = evaluator.Evaluate(a);
        evaluator.Evaluate(b);
        var again = evaluator.Evaluate(a);
        var fresh = new PolicyEvaluator(model, norm, data, data, options).Evaluate(a);
        foreach (var r in new[] { again, fresh })
        {
            Assert.Equal(first.Accuracy, r.Accuracy);
            Assert.Equal(first.Agreement, r.Agreement);
            Assert.Equal(first.MeanKl, r.MeanKl);
        }
        var w8a8 = evaluator.Evaluate(BitPolicy.Uniform(graph, 8, 8));
        Assert.True(w8a8.MeanKl < first.MeanKl, $"W8A8 KL {w8a8.MeanKl} should be below W4A4 KL {first.MeanKl}");
        Assert.True(w8a8.Agreement > 0.9f);
    }

    [Fact]
    public void Quantization_aware_training_recovers_accuracy_lost_by_calibration_alone()
    {
        var graph = QuantTestModels.TinyCnn();
        var train = QuantTestModels.Quadrants(512, 3);
        var norm = Normalization.FromTrainingSet(train);
        var model = Model.Initialize(graph, 0);
        new Trainer(new Network(model), new TrainingOptions
        {
            Epochs = 4, BatchSize = 32, LearningRate = 0.05f, WarmupSteps = 0, LabelSmoothing = 0f, Augmentation = Augmentation.None,
        }).Train(train, null, norm);
        float floatAccuracy = Evaluator.Evaluate(new Network(model), train, norm).Accuracy;

        var policy = BitPolicy.Uniform(graph, 2, 4).With("c1", 8, 8).With("fc", 8, 8);
        var fq = new FakeQuantNetwork(model, policy, new QuantizationOptions(), norm);
        CalibrationStatistics.Collect(fq, CalibrationStatistics.Batches(train, norm, 128, 2)).ApplyTo(fq);
        float calibrated = Evaluator.Evaluate(fq.Network, train, norm).Accuracy;
        new QatTrainer(fq, new QatOptions { Epochs = 6, BatchSize = 32, LearningRate = 0.02f, FreezeBatchNormAfter = 20, Augmentation = Augmentation.None })
            .Train(train, null, norm);
        float finetuned = Evaluator.Evaluate(fq.Network, train, norm).Accuracy;
        Assert.True(finetuned >= calibrated + 0.1f, $"float {floatAccuracy:P1}, W2A4 (first/last 8-bit) calibrated {calibrated:P1}, after QAT {finetuned:P1}");
    }
}
