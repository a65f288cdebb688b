using MixBit.Models;
using MixBit.Nn;
using MixBit.Nn.Optim;
using MixBit.Tests.Quantization;
using MixBit.Workflows;

namespace MixBit.Tests.Reliability;

/// <summary>The run checkpoint: its optimizer state is verified, a kill between its two writes leaves a resumable pair, older checkpoints still resume.</summary>
[Collection(GlobalStateCollection.Name)]
public class CheckpointTests
{
    private const string Key = "mixbit.test.options";
    private static readonly Dictionary<string, string> Options = new() { ["--lr"] = "0.05", ["--epochs"] = "3" };

    private static (Model Model, Sgd Optimizer) Run()
    {
        var model = Model.Initialize(QuantTestModels.TinyCnn(), 0);
        var network = new Network(model);
        var sgd = new Sgd(network.Parameters, 0.9f);
        return (model, sgd);
    }

    [Fact]
    public void A_kill_between_the_optimizer_and_the_model_write_leaves_a_resumable_pair()
    {
        using var work = new TestFolders.Scratch();
        string output = work.File("m.onnx");
        var (model, sgd) = Run();
        var checkpoint = new RunCheckpoint(output, Key, Options, "training");
        checkpoint.Save(model, new Dictionary<string, string>(), 0, sgd);
        // Epoch 1's optimizer state written, the process killed before the model: the pending file does not match
        // the model (epoch 0), the previous state does, and is used.
        var state = File.ReadAllBytes(output + ".checkpoint.optimizer");
        File.WriteAllBytes(output + ".checkpoint.optimizer.next", [.. state.AsSpan(0, 4), 1, 2, 3, 4, .. state.AsSpan(8)]);
        var reopened = new RunCheckpoint(output, Key, Options, "training");
        Assert.Equal(1, reopened.Open(resume: true)!.Value.NextEpoch);
        reopened.RestoreOptimizer(Run().Optimizer);

        // The model written and the rename not done: the pending state is the one that matches.
        File.Move(output + ".checkpoint.optimizer", output + ".checkpoint.optimizer.next", overwrite: true);
        File.WriteAllBytes(output + ".checkpoint.optimizer", [1, 2, 3]);
        Assert.Equal(1, new RunCheckpoint(output, Key, Options, "training").Open(resume: true)!.Value.NextEpoch);

        File.Delete(output + ".checkpoint.optimizer.next");
        var e = Assert.Throws<MixBitException>(() => new RunCheckpoint(output, Key, Options, "training").Open(resume: true));
        Assert.Contains("does not match the model checkpoint (truncated or from another run). Start over with --force (without --resume).", e.Message);
    }

    [Fact]
    public void A_checkpoint_of_an_earlier_version_resumes_with_a_warning_when_its_options_match()
    {
        using var work = new TestFolders.Scratch();
        string output = work.File("m.onnx");
        var (model, sgd) = Run();
        new RunCheckpoint(output, Key, Options, "training").Save(model, new Dictionary<string, string>(), 1, sgd);
        var (saved, meta) = ModelFile.LoadWithMetadata(output + ".checkpoint");
        var legacy = new Dictionary<string, string>(meta) { [Key] = "{\"LearningRate\":0.05}" };
        legacy.Remove("mixbit.checkpoint.optimizer.sha256"); // earlier versions recorded no hash
        ModelFile.Save(saved, output + ".checkpoint", legacy);

        var warnings = new List<string>();
        Warnings.Handler = warnings.Add;
        try
        {
            var resumed = new RunCheckpoint(output, Key, Options, "training", "{\"LearningRate\":0.05}").Open(resume: true);
            Assert.Equal(2, resumed!.Value.NextEpoch);
            Assert.Contains("earlier MixBit version", Assert.Single(warnings));
            var e = Assert.Throws<MixBitException>(() => new RunCheckpoint(output, Key, Options, "training", "{\"LearningRate\":0.1}").Open(resume: true));
            Assert.Contains("was made by another MixBit version with other options", e.Message);
        }
        finally { Warnings.Handler = null; }
    }
}
