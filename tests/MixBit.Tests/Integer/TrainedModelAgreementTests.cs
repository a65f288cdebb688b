using System.Numerics.Tensors;
using Google.Protobuf;
using MixBit.Data;
using MixBit.Integer;
using MixBit.Models.Onnx;
using MixBit.Nn;
using MixBit.Nn.Training;
using MixBit.Quantization;
using MixBit.Tests.Quantization;
using Xunit.Abstractions;

namespace MixBit.Tests.Integer;

/// <summary>
/// A small CNN trained on the quadrant images (so its predictions have margins, as a real model's do), quantized at
/// W8A8, W4A4 and a mixed policy: the integer engine and ONNX Runtime on the QDQ export both agree with the fake-quant
/// network on at least 99 % of the images, and the integer accuracy is that of the fake-quant network within a point.
/// </summary>
public class TrainedModelAgreementTests(ITestOutputHelper output)
{
    [Fact]
    public void Integer_engine_and_onnx_runtime_agree_with_the_fake_quant_network_on_a_trained_model()
    {
        var graph = QuantTestModels.TinyCnn();
        var train = QuantTestModels.Quadrants(1024, 3);
        var test = QuantTestModels.Quadrants(400, 4);
        var norm = Normalization.FromTrainingSet(train);
        var model = Model.Initialize(graph, 0);
        new Trainer(new Network(model), new TrainingOptions
        {
            Epochs = 3, BatchSize = 32, LearningRate = 0.05f, WarmupSteps = 0, LabelSmoothing = 0f, Augmentation = Augmentation.None,
        }).Train(train, null, norm);
        BitPolicy[] policies = [BitPolicy.Uniform(graph, 8, 8), BitPolicy.Uniform(graph, 4, 4), BitPolicy.Uniform(graph, 2, 8).With("c1", 8, 4).With("dw", 4, 8)];
        foreach (var policy in policies)
        {
            var fq = new FakeQuantNetwork(model, policy, new QuantizationOptions(), norm);
            CalibrationStatistics.Collect(fq, CalibrationStatistics.Batches(train, norm, 256, 2)).ApplyTo(fq);
            var quantized = IntegerConverter.Convert(fq);
            var f = IntegerEvaluation.Compare(fq, new IntegerEngine(quantized), test, norm);

            var logits = QdqExportTests.RunOrt(QdqExporter.Export(quantized).ToByteArray(), test.Pixels.ToArray(), test.Count, [1, 8, 8]);
            var fakeQuant = IntegerEvaluation.FakeQuantLogits(fq, test, norm);
            int agree = 0;
            for (int i = 0; i < test.Count; i++)
                if (TensorPrimitives.IndexOfMax(logits.AsSpan(i * 4, 4)) == TensorPrimitives.IndexOfMax(fakeQuant.AsSpan(i * 4, 4))) agree++;
            float ortAgreement = (float)agree / test.Count;
            output.WriteLine($"{QuantizeWorkflowSummary(policy)}: fake-quant {f.FakeQuantAccuracy:P2}, integer {f.IntegerAccuracy:P2}, agreement {f.Agreement:P2}, max logit diff {f.MaxLogitDifference} LSB; ONNX Runtime agreement {ortAgreement:P2}");
            Assert.True(f.FakeQuantAccuracy > 0.5f, $"the model did not learn: {f.FakeQuantAccuracy:P1}");
            Assert.True(f.Agreement >= 0.99f, $"{policy}: integer vs fake-quant agreement {f.Agreement:P2}");
            Assert.True(ortAgreement >= 0.99f, $"{policy}: ONNX Runtime vs fake-quant agreement {ortAgreement:P2}");
            Assert.True(Math.Abs(f.AccuracyDifferencePoints) <= 1f, $"{policy}: integer {f.IntegerAccuracy:P2} vs fake-quant {f.FakeQuantAccuracy:P2}");
        }
    }

    private static string QuantizeWorkflowSummary(BitPolicy p) => MixBit.Workflows.QuantizeWorkflow.Summarize(p);
}
