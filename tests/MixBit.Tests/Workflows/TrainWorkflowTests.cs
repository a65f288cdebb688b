using MixBit.Models;
using MixBit.Nn.Training;
using MixBit.Tests.Data;
using MixBit.Workflows;

namespace MixBit.Tests.Workflows;

[Collection(GlobalStateCollection.Name)]
public class TrainWorkflowTests
{
    private static IdxTestFiles WriteDataset(int train, int test) => IdxTestFiles.Stripes(train, test);

    private static TrainRequest Request(string dataDir, string output, bool resume = false) => new(
        "reference_cnn", 1.0, null, new DatasetSource(dataDir, ValidationCount: 100),
        new TrainingOptions { Epochs = 2, BatchSize = 32, LearningRate = 0.05f, WarmupSteps = 5 }, output, resume);

    [Fact]
    public void Trains_saves_and_evaluates_a_model_above_chance()
    {
        using var data = WriteDataset(600, 200);
        string output = Path.Combine(data.Directory, "out", "model.onnx");
        var outcome = TrainWorkflow.Run(Request(data.Directory, output));
        Assert.True(outcome.TestAccuracy > 0.5f, $"test accuracy {outcome.TestAccuracy}");
        Assert.True(File.Exists(output));
        Assert.False(File.Exists(TrainWorkflow.CheckpointPath(output)));
        var eval = EvalWorkflow.Run(output, new DatasetSource(data.Directory));
        Assert.Equal(outcome.TestAccuracy, eval.Accuracy, 6);
        Assert.Equal(outcome.TestAccuracy, eval.StoredAccuracy!.Value, 6);
    }

    [Fact]
    public void An_interrupted_run_resumed_gives_the_same_model_as_an_uninterrupted_one()
    {
        using var data = WriteDataset(300, 50);
        string straight = Path.Combine(data.Directory, "a", "model.onnx");
        string resumed = Path.Combine(data.Directory, "b", "model.onnx");
        TrainWorkflow.Run(Request(data.Directory, straight));

        using var cts = new CancellationTokenSource();
        var stopAfterFirstEpoch = new SyncProgress(p => { if (p.EpochDone) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => TrainWorkflow.Run(Request(data.Directory, resumed), stopAfterFirstEpoch, cts.Token));
        Assert.True(File.Exists(TrainWorkflow.CheckpointPath(resumed)));
        Assert.False(File.Exists(resumed));
        TrainWorkflow.Run(Request(data.Directory, resumed, resume: true));

        var a = ModelFile.Load(straight);
        var b = ModelFile.Load(resumed);
        foreach (var (name, t) in a.Parameters)
            Assert.Equal(t.Span.ToArray(), b.Parameter(name).Span.ToArray());
    }

    [Fact]
    public void Resume_without_a_checkpoint_is_a_clear_error()
    {
        using var data = WriteDataset(200, 20);
        var e = Assert.Throws<MixBitException>(() => TrainWorkflow.Run(Request(data.Directory, Path.Combine(data.Directory, "m.onnx"), resume: true)));
        Assert.Contains("--resume", e.Message);
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
