using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using MixBit.CodeGen;
using MixBit.Data;
using MixBit.Integer;
using MixBit.Memory;
using MixBit.Models;
using MixBit.Nn.Training;
using MixBit.Quantization;
using MixBit.Reporting;
using MixBit.Search;

namespace MixBit.Workflows;

/// <summary>What `mixbit run` tells its user as it goes: stage boundaries, the long stages' own progress, warnings.</summary>
public interface IRunObserver
{
    void StageStarted(string stage, string what);
    void StageSkipped(string stage, string why);
    void StageFinished(string stage, string result);
    void Search(SearchProgress progress);
    IProgress<TrainingProgress>? Training { get; }
    void Warn(string message);
}

/// <summary>The folder a run wrote and the stages it ran now (the others were finished before, or not applicable).</summary>
/// <param name="Problem">Set when the run finished but its result misses the goal (the C library does not fit the board).</param>
public sealed record RunOutcome(string Folder, string HtmlReport, string MarkdownReport, IReadOnlyList<string> StagesRun, TimeSpan Duration, string? Problem = null);

/// <summary>
/// `mixbit run`: model -> memory analysis -> search (and the rule-based and uniform baselines) -> QAT -> integer model
/// -> report, each stage writing its files into the run folder (docs/RUN.md). A stage whose files exist is skipped, an
/// interrupted one resumes as its own command would (search from its log, training and QAT from their checkpoints), so
/// re-running the same command continues the run. Every stage reuses the workflow of its own command.
/// </summary>
public static class RunWorkflow
{
    /// <summary>The board preset the budget names, if any (the C check needs its core).</summary>
    private static BoardPreset? BoardOf(RunRequest r) => BoardPreset.All.FirstOrDefault(b => b.Name == r.Budget.Device);

    /// <param name="qdqRunner">Runs the QDQ export (ONNX Runtime, from the command line) for qdq.json; none: that check is not run.</param>
    public static RunOutcome Run(RunRequest request, IRunObserver observer, CancellationToken cancel = default, QdqRunner? qdqRunner = null)
    {
        request.Validate();
        var clock = Stopwatch.StartNew();
        string dir = request.OutDirectory;
        string At(string relative) => Path.Combine(dir, relative);
        var ran = new List<string>();
        PrepareFolder(request);
        using var data = DatasetScope.Begin(); // the stages share the data set they load, read once

        // 1. The float model.
        string floatModel = At(RunFolderLayout.FloatModel);
        if (!File.Exists(floatModel))
        {
            ran.Add("model");
            ProvideFloatModel(request, floatModel, observer, cancel);
        }
        if (!File.Exists(At(RunFolderLayout.FloatFacts)))
        {
            observer.StageStarted("model", "measuring the float model on the test set");
            var graph = ModelFile.Load(floatModel).Graph;
            var eval = EvalWorkflow.Run(floatModel, Source(request), cancel: cancel);
            var facts = new FloatModelFacts(graph.Name, graph.TrainableParameterCount, graph.TotalMacs, eval.Accuracy, eval.Samples);
            WriteJson(At(RunFolderLayout.FloatFacts), facts);
            observer.StageFinished("model", $"{graph.Name}: {facts.Parameters:N0} parameters, test accuracy {facts.TestAccuracy:P2}");
        }

        // 2. Memory: uniform 8-bit, all 2-bit and the rule-based policy on the budget.
        if (!File.Exists(At(RunFolderLayout.Analysis)))
        {
            ran.Add("memory");
            var graph = ModelFile.Load(floatModel).Graph;
            var analysis = MemoryAnalyzer.Analyze(graph, request.Budget);
            WriteJson(At(RunFolderLayout.Analysis), analysis);
            static string Describe(string name, FootprintSummary f)
                => $"{name} FLASH {MemorySize.Format(f.FlashBytes)}, RAM {MemorySize.Format(f.PeakRamBytes)} ({(f.Fits ? "fits" : "does not fit")})";
            observer.StageFinished("memory", $"{request.Budget}: {Describe("uniform 8-bit", analysis.Uniform8Bit)}; {Describe("all 2-bit", analysis.All2Bit)}");
        }

        // 3. The search and its baselines, on the same validation images.
        string searchDir = At(RunFolderLayout.SearchFolder);
        Search(request, floatModel, searchDir, request.Strategy, observer, ran, cancel);
        // A stage that ran now makes the files of every later stage stale (a new policy, a new model): they run again.
        bool stale = ran.Contains("search");
        Search(request, floatModel, At(RunFolderLayout.RuleBaselineFolder), "rule", observer, ran, cancel);
        Search(request, floatModel, At(RunFolderLayout.UniformBaselineFolder), "uniform", observer, ran, cancel, optional: true);
        string policyPath = Path.Combine(searchDir, SearchWorkflow.PolicyFile);

        // 4. QAT of the chosen policy (none with --finetune-epochs 0: the integer model is converted from the float one).
        string quantizedModel = floatModel;
        PolicySource policy = new(policyPath);
        if (request.FinetuneEpochs > 0)
        {
            quantizedModel = At(RunFolderLayout.FineTunedModel);
            policy = new PolicySource();
            if (stale || !File.Exists(quantizedModel) || !File.Exists(At(RunFolderLayout.FinetuneFacts)))
            {
                stale = true;
                ran.Add("qat");
                FineTune(request, floatModel, policyPath, quantizedModel, observer, cancel);
            }
        }

        // 5. The integer-only model, checked against its fake-quant twin, and its QDQ ONNX form.
        if (stale || !File.Exists(At(RunFolderLayout.IntegerModel)) || !File.Exists(At(RunFolderLayout.IntegerFacts)))
        {
            stale = true;
            ran.Add("integer");
            observer.StageStarted("integer", "converting to the integer-only model");
            var o = ConvertWorkflow.Run(new ConvertRequest(quantizedModel, policy, new QuantizationOptions(), At(RunFolderLayout.IntegerModel), request.Seed,
                request.DataDirectory, request.ValidationCount, At(RunFolderLayout.QdqModel)));
            var f = o.Fidelity;
            WriteJson(At(RunFolderLayout.IntegerFacts), new IntegerModelFacts(f.IntegerAccuracy, f.FakeQuantAccuracy, f.Agreement,
                o.Model.FlashBytes, o.Model.WeightBytes, o.Model.ParameterBytes, f.Images));
            observer.StageFinished("integer", $"integer accuracy {f.IntegerAccuracy:P2} (fake-quant {f.FakeQuantAccuracy:P2}, agreement {f.Agreement:P2}), FLASH {o.Model.FlashBytes:N0} B");
        }
        if (qdqRunner is not null && (stale || !File.Exists(At(RunFolderLayout.QdqFacts))))
        {
            ran.Add("qdq");
            observer.StageStarted("qdq", "running the QDQ ONNX export in ONNX Runtime");
            var (model, metadata) = ModelFile.LoadWithMetadata(floatModel);
            var test = Source(request).Load(model.Graph, metadata).Test;
            var q = QdqAgreement.Measure(QuantizedModelFile.Load(At(RunFolderLayout.IntegerModel)), test, request.Quick ? 500 : 2000, qdqRunner);
            WriteJson(At(RunFolderLayout.QdqFacts), q);
            observer.StageFinished("qdq", $"top-1 agreement with the integer engine {q.OnnxRuntimeAgreement:P2} on {q.Images:N0} test images");
        }

        // 6. The C library, built and checked on the host (whole test set) and per core in QEMU (the board's first).
        if (stale || !File.Exists(At(RunFolderLayout.CCheck)))
        {
            if (BoardOf(request) is not { } board)
                observer.StageSkipped("c", "the C library is built and checked for a board's core: give --board (with --flash/--ram to override its sizes)");
            else
            {
                ran.Add("c");
                observer.StageStarted("c", $"generating the C library and checking it for {board.Name} ({board.Core})");
                var options = new DeployOptions(At(RunFolderLayout.CFolder), board.Name, Check: true, DataDirectory: request.DataDirectory,
                    Cores: request.Quick ? [ArmCore.OfPreset(board.Core).Name] : null, HostImages: request.Quick ? 1000 : null);
                var check = DeployWorkflow.Run(QuantizedModelFile.Load(At(RunFolderLayout.IntegerModel)), options, new Progress<string>(_ => { }));
                var c = check.Facts;
                string boards = string.Join("; ", c.Boards.Select(b => $"{b.Core}: FLASH {b.FlashBytes:N0} B, RAM {b.RamBytes:N0} B{(b.Fits ? "" : " (does not fit)")}, {b.Instructions / 1e6:F2} M instructions"));
                observer.StageFinished("c", $"host accuracy {c.HostAccuracy:P2} on {c.HostImages:N0} images, QEMU {(c.QemuBitExact ? "bit-exact" : "NOT bit-exact")} on {c.QemuImages} images; {boards}");
            }
        }
        string? problem = RunFolderReader.ReadJson<CCheckFacts>(At(RunFolderLayout.CCheck)) is { } cFacts && cFacts.Boards.FirstOrDefault() is { Fits: false } own
            ? $"the C library needs {own.FlashBytes:N0} B of FLASH and {own.RamBytes:N0} B of RAM on {own.Core} ({own.CodeBytes:N0} B of it runtime code), more than {request.Budget.Device} has; " +
              $"the policy's kernel variants need more code than the FLASH reserve ({request.Budget.FlashReserveBytes:N0} B): re-run in a new folder with a larger --flash-reserve (see {At(RunFolderLayout.CCheck)})"
            : null;

        // 7. The report, from the files alone.
        cancel.ThrowIfCancellationRequested();
        var report = RunReport.Write(dir);
        observer.StageFinished("report", report.HtmlPath);
        return new RunOutcome(dir, report.HtmlPath, report.MarkdownPath, ran, clock.Elapsed, problem);
    }

    /// <summary>The trained default model that ships with MixBit (MobileNetV1 0.25 on Fashion-MNIST, models/README.md).</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "models", "mobilenet_v1_w0.25_fmnist.onnx");

    public static RunSettings SettingsOf(RunRequest r) => new(
        Model: r.ModelPath is { } m ? Path.GetFullPath(m) : UsesTraining(r) ? $"{TrainedArchitecture(r)} (width {r.Width}, trained here)" : "built-in default (mobilenet_v1_w0.25_fmnist)",
        Data: new DatasetSource(r.DataDirectory).Location, Device: r.Budget.Device, FlashBytes: r.Budget.FlashBytes, RamBytes: r.Budget.RamBytes,
        FlashReserveBytes: r.Budget.FlashReserveBytes, RamReserveBytes: r.Budget.RamReserveBytes, Strategy: r.Strategy, Episodes: r.Episodes,
        FinetuneEpochs: r.FinetuneEpochs, Quick: r.Quick, Seed: r.Seed, EvaluationImages: r.EvaluationImages, FinetuneImages: r.FinetuneImages,
        TrainEpochs: r.ModelPath is null && UsesTraining(r) ? r.TrainEpochs : null, ValidationCount: r.ValidationCount);

    /// <summary>No model given and either an architecture named or data the default model was not trained on.</summary>
    private static bool UsesTraining(RunRequest r) => r.ModelPath is null && (r.Architecture is not null || new DatasetSource(r.DataDirectory).IsImageFolder);

    private static string TrainedArchitecture(RunRequest r) => r.Architecture ?? "mobilenet_v1";

    /// <summary>Creates the folder and run.json; a folder holding another run's settings is refused rather than mixed.</summary>
    private static void PrepareFolder(RunRequest request)
    {
        string dir = request.OutDirectory;
        if (File.Exists(dir)) throw new MixBitException($"--out '{dir}' is a file; give a folder for the run.");
        if (request.ModelPath is { } m && !File.Exists(m))
            throw new MixBitException(Directory.Exists(m) ? $"--model '{m}' is a folder; give an ONNX model file." : $"--model '{m}' does not exist; give a trained ONNX model.");
        if (request.ModelPath is null && !UsesTraining(request) && !File.Exists(DefaultModelPath))
            throw new MixBitException($"The built-in default model is missing ({DefaultModelPath}); reinstall MixBit, or give --model or --arch.");
        var settings = SettingsOf(request);
        string path = Path.Combine(dir, RunFolderLayout.Settings);
        if (RunFolderReader.ReadJson<RunSettings>(path) is { } existing)
        {
            if (existing with { Started = null, MixbitVersion = null } != settings)
                throw new MixBitException($"'{dir}' holds a run started with other settings (see its {RunFolderLayout.Settings}); repeat that run's options to resume it, or choose another --out folder.");
            return;
        }
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new MixBitException($"--out '{dir}' is not empty and holds no MixBit run; choose a new or empty folder.");
        AtomicFile.EnsureWritable(path);
        WriteJson(path, settings with
        {
            Started = DateTimeOffset.Now,
            MixbitVersion = typeof(RunWorkflow).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
        });
    }

    private static void ProvideFloatModel(RunRequest request, string floatModel, IRunObserver observer, CancellationToken cancel)
    {
        if (!UsesTraining(request))
        {
            string source = request.ModelPath ?? DefaultModelPath;
            observer.StageStarted("model", $"using {source}");
            ModelFile.Load(source); // a clear error for a file MixBit cannot read, before anything is copied
            AtomicFile.Write(floatModel, s => { using var input = File.OpenRead(source); input.CopyTo(s); });
            return;
        }
        string arch = TrainedArchitecture(request);
        observer.StageStarted("model", $"training {arch} (width {request.Width}) for {request.TrainEpochs} epochs");
        bool resume = File.Exists(TrainWorkflow.CheckpointPath(floatModel));
        var options = new TrainingOptions { Epochs = request.TrainEpochs, Seed = request.Seed };
        TrainWorkflow.Run(new TrainRequest(arch, request.Width, null, Source(request), options, floatModel, resume), observer.Training, cancel);
    }

    private static SearchSummary? Search(RunRequest request, string floatModel, string folder, string strategy, IRunObserver observer,
        List<string> ran, CancellationToken cancel, bool optional = false)
    {
        string summaryPath = Path.Combine(folder, SearchWorkflow.SummaryFile);
        if (RunFolderReader.ReadJson<SearchSummary>(summaryPath) is { } done) return done;
        string stage = strategy == request.Strategy && folder.EndsWith(RunFolderLayout.SearchFolder) ? "search" : $"baseline {strategy}";
        ran.Add(stage);
        observer.StageStarted(stage, $"{strategy} on {request.Budget}");
        var search = new SearchRequest
        {
            ModelPath = floatModel, Budget = request.Budget, Strategy = strategy, Episodes = request.Episodes, Seed = request.Seed,
            EvaluationImages = request.EvaluationImages, ValidationCount = request.ValidationCount, DataDirectory = request.DataDirectory, Ddpg = request.Ddpg,
        };
        try
        {
            var s = SearchWorkflow.Run(search, folder, resume: true, observer.Search, observer.Warn, cancel);
            observer.StageFinished(stage, $"{s.Strategy}: validation accuracy {s.Accuracy:P2} (float {s.FloatAccuracy:P2}), FLASH {MemorySize.Format(s.FlashBytes)}, RAM {MemorySize.Format(s.PeakRamBytes)}, {s.Evaluations} evaluations");
            return s;
        }
        catch (MixBitException e) when (optional)
        {
            observer.StageSkipped(stage, e.Message);
            return null;
        }
    }

    private static void FineTune(RunRequest request, string floatModel, string policyPath, string output, IRunObserver observer, CancellationToken cancel)
    {
        observer.StageStarted("qat", $"fine-tuning the chosen policy for {request.FinetuneEpochs} epoch(s){(request.FinetuneImages > 0 ? $" on {request.FinetuneImages:N0} training images" : "")}");
        var options = new QatOptions { Epochs = request.FinetuneEpochs, TrainCount = request.FinetuneImages, Seed = request.Seed };
        bool resume = File.Exists(FinetuneWorkflow.CheckpointPath(output));
        var o = FinetuneWorkflow.Run(new FinetuneRequest(floatModel, new PolicySource(policyPath), new QuantizationOptions(), options, output, resume,
            request.DataDirectory, request.ValidationCount, Force: true), observer.Training, cancel);
        // A resumed fine-tune does not measure the calibrated model again: measure it here.
        float calibrated = o.CalibratedTestAccuracy ?? QuantizeWorkflow.Run(new QuantizeRequest(floatModel, new PolicySource(policyPath), new QuantizationOptions(),
            DataDirectory: request.DataDirectory, ValidationCount: request.ValidationCount)).Result.Accuracy;
        var facts = new FinetuneFacts(request.FinetuneEpochs, o.TrainImages, calibrated, o.QuantizedTestAccuracy,
            o.FloatTestAccuracy, o.Duration.TotalSeconds);
        WriteJson(Path.Combine(request.OutDirectory, RunFolderLayout.FinetuneFacts), facts);
        observer.StageFinished("qat", $"test accuracy {facts.TestAccuracy:P2} after QAT (calibration only {facts.CalibratedTestAccuracy:P2}, float {facts.FloatTestAccuracy:P2})");
    }

    private static DatasetSource Source(RunRequest r) => new(r.DataDirectory, r.ValidationCount);

    private static void WriteJson<T>(string path, T value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, StageJson));
    }

    private static readonly JsonSerializerOptions StageJson = new(RunFolderReader.Json) { WriteIndented = true };
}
