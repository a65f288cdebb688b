using MixBit.Data;
using MixBit.Models;
using MixBit.Nn;
using MixBit.Nn.Training;
using MixBit.Tensors;
using MixBit.Tests.Quantization;
using MixBit.Workflows;

namespace MixBit.Tests.Reliability;

/// <summary>
/// NaN or Inf during training (and fine-tuning, which runs the same loop) stops the run with a clear error, before
/// the bad state is checkpointed; the run's checkpoint of the last good epoch is kept and says so.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class TrainingDivergenceTests
{
    /// <summary>Cross-entropy that, from a given step on, reports a NaN loss or poisons the gradient with NaN.</summary>
    private sealed class FailingLoss(int failAtStep, bool poisonGradient) : ITrainingLoss
    {
        private readonly CrossEntropyTrainingLoss _loss = new();
        private int _step;

        public Tensor Gradient => _loss.Gradient;

        public (float Loss, int Correct) Compute(Tensor logits, Tensor images, ReadOnlySpan<int> labels)
        {
            var (l, c) = _loss.Compute(logits, images, labels);
            if (_step++ < failAtStep) return (l, c);
            if (poisonGradient) { Gradient.Data[0] = float.NaN; return (l, c); }
            return (float.NaN, c);
        }
    }

    private static (Trainer Trainer, List<int> Saved, ImageDataset Data, Normalization Norm) Setup(ITrainingLoss loss)
    {
        var data = QuantTestModels.Quadrants(64, 3);
        var trainer = new Trainer(new Network(Model.Initialize(QuantTestModels.TinyCnn(), 0)),
            new TrainingOptions { Epochs = 3, BatchSize = 16, WarmupSteps = 0, Augmentation = Augmentation.None }) { Loss = loss };
        var saved = new List<int>();
        trainer.EpochCompleted = (epoch, _) => saved.Add(epoch);
        return (trainer, saved, data, Normalization.FromTrainingSet(data));
    }

    [Fact]
    public void A_NaN_loss_in_the_second_epoch_stops_the_run_after_the_first_epoch_was_saved()
    {
        var (trainer, saved, data, norm) = Setup(new FailingLoss(failAtStep: 5, poisonGradient: false)); // 4 batches per epoch
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train(data, null, norm));
        Assert.Contains("diverged (loss NaN) at epoch 2, batch 2", e.Message);
        Assert.Equal([0], saved);
    }

    [Fact]
    public void Weights_made_NaN_by_the_last_step_of_an_epoch_are_never_checkpointed()
    {
        // The loss stays finite; the gradient of the epoch's last batch is NaN, so the weights become NaN.
        var (trainer, saved, data, norm) = Setup(new FailingLoss(failAtStep: 3, poisonGradient: true));
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train(data, null, norm));
        Assert.Contains("is no longer finite) at the end of epoch 1", e.Message);
        Assert.Empty(saved);
    }

    [Fact]
    public void A_diverged_run_keeps_its_last_good_checkpoint_and_says_so()
    {
        using var work = new TestFolders.Scratch();
        string output = work.File("model.onnx");
        var options = new Dictionary<string, string> { ["--lr"] = "0.05" };
        var model = Model.Initialize(QuantTestModels.TinyCnn(), 0);
        var (trainer, _, _, _) = Setup(new CrossEntropyTrainingLoss());
        var checkpoint = new RunCheckpoint(output, ModelMetadata.TrainingOptions, options, "training");
        Assert.Null(checkpoint.Open(resume: false));
        var before = checkpoint.Explain(new TrainingDivergedException("Training diverged (loss NaN) at epoch 1, batch 3: lower --lr."), 3)!;
        Assert.Equal("Training diverged (loss NaN) at epoch 1, batch 3: lower --lr; no epoch had finished, so nothing was saved.", before.Message);

        checkpoint.Save(model, new Dictionary<string, string>(), 0, trainer.Optimizer);
        var after = checkpoint.Explain(new TrainingDivergedException("Training diverged (loss NaN) at epoch 2, batch 1: lower --lr."), 3)!;
        Assert.Equal($"Training diverged (loss NaN) at epoch 2, batch 1: lower --lr; the last good checkpoint is kept: epochs 1 to 1 of 3 are saved in '{output}.checkpoint'.", after.Message);
        Assert.True(File.Exists(output + ".checkpoint"));
        var resumed = new RunCheckpoint(output, ModelMetadata.TrainingOptions, options, "training").Open(resume: true);
        Assert.Equal(1, resumed!.Value.NextEpoch);
    }
}
