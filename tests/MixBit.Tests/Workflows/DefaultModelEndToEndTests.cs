using MixBit.Data;
using MixBit.Nn.Training;
using MixBit.Tests.Cli;
using MixBit.Workflows;

namespace MixBit.Tests.Workflows;

/// <summary>
/// The README's main job in small: one epoch of the default model on the real Fashion-MNIST, then `mixbit eval`.
/// Minutes long, so behind the trait (scripts/test.sh --slow); the default set runs the synthetic-data version.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class DefaultModelEndToEndTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public void One_epoch_of_the_default_model_on_fashion_mnist_beats_80_percent()
    {
        Assert.True(File.Exists(Path.Combine(FashionMnist.DefaultDirectory, "train-images-idx3-ubyte.gz")),
            "install dataset-fashion-mnist (scripts/install-deps.sh) to run the slow tests");
        string output = Path.Combine(Path.GetTempPath(), $"mixbit-e2e-{Guid.NewGuid():N}", "model.onnx");
        var outcome = TrainWorkflow.Run(new TrainRequest("mobilenet_v1", 0.25, null, new DatasetSource(),
            new TrainingOptions { Epochs = 1 }, output));
        Assert.True(outcome.TestAccuracy > 0.80f, $"test accuracy after one epoch: {outcome.TestAccuracy:P2}");

        var eval = CliRunner.Run("eval", output);
        Assert.Equal(0, eval.ExitCode);
        Assert.Contains($"{outcome.TestAccuracy:P2}", eval.Stdout);
        Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
    }
}
