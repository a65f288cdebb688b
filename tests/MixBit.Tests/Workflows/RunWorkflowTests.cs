using MixBit.Memory;
using MixBit.Nn.Training;
using MixBit.Reporting;
using MixBit.Search;
using MixBit.Tests.Data;
using MixBit.Workflows;

namespace MixBit.Tests.Workflows;

/// <summary>
/// `mixbit run` end to end in small: on an image folder (a built-in architecture trained on it first) and on an ONNX
/// model exported by PyTorch with Fashion-MNIST; every stage's file per docs/RUN.md, a report, and a re-run that resumes
/// (runs nothing again). An interrupted run finishes on the next call.
/// </summary>
public class RunWorkflowTests
{
    private static readonly MemoryBudget Roomy = MemoryBudget.For(BoardPreset.Find("stm32f412"));

    [Fact]
    public void Image_folder_flow_writes_every_stage_and_resumes_without_rerunning()
    {
        using var scratch = new TestFolders.Scratch();
        string images = scratch.File("images");
        ImageFolderFiles.WriteClasses(images, ["low", "middle", "high"], perClass: 30);
        var request = new RunRequest
        {
            OutDirectory = scratch.File("run"), Budget = Roomy, DataDirectory = images, TrainEpochs = 2, Episodes = 3,
            EvaluationImages = 20, FinetuneEpochs = 1, ValidationCount = 20, Quick = true,
        };
        var observer = new RecordingObserver();
        var first = RunWorkflow.Run(request, observer, qdqRunner: (m, p, n, chw) => Integer.QdqExportTests.RunOrt(m, p, n, chw));
        Assert.Equal(["model", "memory", "search", "baseline rule", "baseline uniform", "qat", "integer", "qdq", "c"], first.StagesRun);
        AssertStageFiles(request.OutDirectory);
        var run = RunFolderReader.Read(request.OutDirectory);
        Assert.Equal(3, run.Search!.Queries);
        Assert.True(run.Integer!.Agreement > 0.9, $"integer/fake-quant agreement {run.Integer.Agreement:P2}");
        // The C library: the host build's accuracy is the integer engine's, QEMU bit-exact on the board's core.
        Assert.Equal(run.Integer.TestAccuracy, run.CCheck!.HostAccuracy, 6);
        Assert.True(run.CCheck.QemuBitExact);
        Assert.Single(run.CCheck.Boards);
        Assert.True(run.Qdq!.OnnxRuntimeAgreement >= 0.99, $"ONNX Runtime on the QDQ export agrees on {run.Qdq.OnnxRuntimeAgreement:P2}");
        Assert.Contains("trained here", run.Settings!.Model);

        var again = RunWorkflow.Run(request, new RecordingObserver());
        Assert.Empty(again.StagesRun);
        // A stage run again makes the later ones stale: a new fine-tuned model gets a new integer model and C library.
        File.Delete(Path.Combine(request.OutDirectory, RunFolderLayout.FineTunedModel));
        Assert.Equal(["qat", "integer", "c"], RunWorkflow.Run(request, new RecordingObserver()).StagesRun);
        Assert.Throws<MixBitException>(() => RunWorkflow.Run(request with { Episodes = 4 }, new RecordingObserver()));
    }

    [Fact]
    public void Onnx_model_flow_on_fashion_mnist_resumes_an_interrupted_search()
    {
        using var scratch = new TestFolders.Scratch();
        var request = new RunRequest
        {
            OutDirectory = scratch.File("run"), Budget = Roomy, ModelPath = TestFolders.Repo("tests/MixBit.Tests/Fixtures/reference_cnn.onnx"),
            Episodes = 4, EvaluationImages = 50, FinetuneEpochs = 1, FinetuneImages = 200, ValidationCount = 300, Quick = true,
        };
        using var cancel = new CancellationTokenSource();
        var observer = new RecordingObserver { OnSearch = p => { if (p.Done == 2) cancel.Cancel(); } };
        Assert.ThrowsAny<Exception>(() => RunWorkflow.Run(request, observer, cancel.Token));
        Assert.False(File.Exists(Path.Combine(request.OutDirectory, RunFolderLayout.SearchFolder, SearchWorkflow.SummaryFile)));

        var resumed = RunWorkflow.Run(request, new RecordingObserver());
        Assert.Equal("search", resumed.StagesRun[0]);
        AssertStageFiles(request.OutDirectory);
        var run = RunFolderReader.Read(request.OutDirectory);
        Assert.Equal(4, run.Search!.Queries);
        Assert.Equal(4, run.SearchRecords.Count(r => r.Kind == "episode"));
    }

    private static void AssertStageFiles(string folder)
    {
        foreach (var file in new[]
        {
            RunFolderLayout.Settings, RunFolderLayout.FloatModel, RunFolderLayout.FloatFacts, RunFolderLayout.Analysis,
            Path.Combine(RunFolderLayout.SearchFolder, SearchWorkflow.SummaryFile), Path.Combine(RunFolderLayout.SearchFolder, SearchWorkflow.LogFile),
            Path.Combine(RunFolderLayout.RuleBaselineFolder, SearchWorkflow.SummaryFile), Path.Combine(RunFolderLayout.UniformBaselineFolder, SearchWorkflow.SummaryFile),
            RunFolderLayout.FineTunedModel, RunFolderLayout.FinetuneFacts, RunFolderLayout.IntegerModel, RunFolderLayout.QdqModel, RunFolderLayout.IntegerFacts,
            RunFolderLayout.CCheck, RunFolderLayout.HtmlReport, RunFolderLayout.MarkdownReport,
        })
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} missing");
    }

    private sealed class RecordingObserver : IRunObserver
    {
        public Action<SearchProgress>? OnSearch { get; init; }
        public List<string> Lines { get; } = [];
        public IProgress<TrainingProgress>? Training => null;
        public void StageStarted(string stage, string what) => Lines.Add($"start {stage}: {what}");
        public void StageSkipped(string stage, string why) => Lines.Add($"skip {stage}: {why}");
        public void StageFinished(string stage, string result) => Lines.Add($"done {stage}: {result}");
        public void Search(SearchProgress progress) => OnSearch?.Invoke(progress);
        public void Warn(string message) => Lines.Add($"warning: {message}");
    }
}
