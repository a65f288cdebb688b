using Google.Protobuf;
using MixBit.Data;
using MixBit.Models.Onnx;
using MixBit.Nn;
using MixBit.Nn.Training;
using Xunit.Abstractions;

namespace MixBit.Tests.Onnx;

/// <summary>An imported model trains in MixBit's engine like a built-in one, and exports again.</summary>
public class OnnxFineTuneTests(ITestOutputHelper log)
{
    [Fact]
    public void Imported_pytorch_model_fine_tunes_on_fashion_mnist_and_exports_again()
    {
        // Only the 10,000 test-set images are read (fast); PyTorch trained on the training set, so all are new to it.
        string folder = FashionMnist.DefaultDirectory;
        var images10k = FashionMnist.LoadPair(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"));
        var test = images10k.Subset(Enumerable.Range(0, 500).ToArray());
        var train = images10k.Subset(Enumerable.Range(1_000, 1_000).ToArray());
        var normalization = Normalization.Identity(1); // the fixture was trained on byte / 255

        var model = OnnxImporter.Import(OnnxFixtures.Onnx("reference_cnn"), "reference_cnn.onnx");
        var original = model.Clone();
        var network = new Network(model);
        float before = Evaluator.Evaluate(network, test, normalization).Accuracy;
        var trainer = new Trainer(network, new TrainingOptions
        {
            Epochs = 1, LearningRate = 0.01f, WarmupSteps = 0, Schedule = "constant", Augmentation = Augmentation.None,
        });
        var epoch = trainer.Train(train, null, normalization).Single();
        float after = Evaluator.Evaluate(network, test, normalization).Accuracy;
        log.WriteLine($"test accuracy ({test.Count:N0} images): imported {before:P1}, after one epoch of {train.Count:N0} images {after:P1}; train loss {epoch.TrainLoss:F3}, accuracy {epoch.TrainAccuracy:P1}");

        Assert.True(before > 0.6f, $"the PyTorch model should classify Fashion-MNIST, got {before:P1}");
        Assert.True(after > before - 0.03f, $"fine-tuning lost accuracy: {before:P1} -> {after:P1}");
        Assert.NotEqual(original.Parameter("/classifier/Gemm.weight").Span.ToArray(), model.Parameter("/classifier/Gemm.weight").Span.ToArray());
        Assert.NotEqual(original.Parameter("/features/features.1/BatchNormalization.running_mean").Span.ToArray(),
            model.Parameter("/features/features.1/BatchNormalization.running_mean").Span.ToArray());

        // The fine-tuned model exports to ONNX and ONNX Runtime gives MixBit's outputs on real images.
        var exported = OnnxExporter.Export(model).ToByteArray();
        OnnxRoundTripTests.AssertSameModel(model, OnnxImporter.Import(exported, "fine-tuned"));
        var images = new float[16 * 28 * 28];
        for (int i = 0; i < images.Length; i++) images[i] = test.Image(i / (28 * 28))[i % (28 * 28)] / 255f;
        var (ort, _) = OrtReference.Run(exported, images, [16, 1, 28, 28]);
        float diff = OnnxFixtures.MaxAbsDiff(ort, MixBitReference.Run(model, images, [16, 1, 28, 28]));
        Assert.True(diff <= 1e-4f, $"max |MixBit - ORT| = {diff}");
    }
}
