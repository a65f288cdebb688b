using System.Text.Json;
using MixBit.Memory;
using MixBit.Models;
using MixBit.Models.Architectures;
using MixBit.Nn;
using MixBit.Quantization;
using MixBit.Reporting;
using MixBit.Search;
using MixBit.Workflows;

namespace MixBit.Tests.Reporting;

/// <summary>
/// Writes a run folder as `mixbit run` lays it out (docs/RUN.md) without running the pipeline: the default model
/// (MobileNetV1 0.25 on 28x28x1, untrained), its real memory analysis on the STM32G071 preset, and a search log of
/// random policies priced by the real memory model. Only the accuracies and instruction counts are made up: a plausible
/// function of the bits, so that the plots have the shapes a real run gives.
/// </summary>
internal static class SyntheticRun
{
    public enum Stages { UpToAnalysis, UpToSearch, All }

    private static readonly JsonSerializerOptions Json = new(RunFolderReader.Json) { WriteIndented = true };

    public static void Write(string folder, Stages stages = Stages.All, int episodes = 60)
    {
        var graph = ArchitectureRegistry.Build("mobilenet_v1", new ArchitectureOptions(0.25, 28, 1, 10));
        ModelFile.Save(Model.Initialize(graph, seed: 1), Path.Combine(folder, RunFolderLayout.FloatModel));
        var budget = MemoryBudget.For(BoardPreset.Find("stm32g071"), flashReserveBytes: 16 * MemorySize.KiB, ramReserveBytes: 4 * MemorySize.KiB);
        const double floatAccuracy = 0.9111;
        WriteJson(folder, RunFolderLayout.Settings, new RunSettings("mobilenet_v1", "fashion-mnist", budget.Device, budget.FlashBytes, budget.RamBytes,
            budget.FlashReserveBytes, budget.RamReserveBytes, "ddpg", episodes, 1, true, 0, "0.9.0", new DateTimeOffset(2026, 11, 2, 10, 30, 0, TimeSpan.Zero)));
        WriteJson(folder, RunFolderLayout.FloatFacts, new FloatModelFacts(graph.Name, graph.TrainableParameterCount, graph.TotalMacs, floatAccuracy, 10_000, 0.9154));
        var analysis = MemoryAnalyzer.Analyze(graph, budget);
        WriteJson(folder, RunFolderLayout.Analysis, analysis);
        if (stages == Stages.UpToAnalysis) return;

        var plan = DeploymentPlan.Build(graph);
        var layers = BitPolicy.QuantizableLayers(graph).ToArray();
        var rule = BitPolicy.Create(graph, analysis.RuleBased.Layers.Select(l => KeyValuePair.Create(l.Name, new LayerBits(l.WeightBits, l.ActivationBits))));
        var random = new Random(7);
        int[] bits = [2, 4, 8];
        var records = new List<SearchRecord>();
        for (int e = 0; e < episodes; e++)
        {
            // Random policies first; later episodes refine the rule-based one (a few weights lower, activations higher),
            // as a learning agent's settle near the budget.
            var policy = e < episodes / 2
                ? BitPolicy.Create(graph, layers.Select(l => KeyValuePair.Create(l, new LayerBits(bits[random.Next(3)], bits[random.Next(1, 3)]))))
                : Enumerable.Range(0, 4).Select(_ => layers[random.Next(layers.Length)]).Aggregate(rule, (p, l) =>
                    p.With(l, Math.Max(2, p[l].WeightBits / 2), random.Next(2) == 0 ? 8 : p[l].ActivationBits));
            records.Add(Record(e, "episode", policy, plan.Price(policy), budget, floatAccuracy, random));
        }
        var chosen = records.Where(r => r.Fits).MaxBy(r => r.Accuracy) ?? throw new InvalidOperationException("no synthetic policy fits");
        var searchFolder = Path.Combine(folder, RunFolderLayout.SearchFolder);
        AtomicFile.WriteAllText(Path.Combine(searchFolder, SearchWorkflow.LogFile),
            string.Concat(records.Select(r => JsonSerializer.Serialize(r, SearchLog.Json) + "\n")));
        WriteJson(searchFolder, SearchWorkflow.SummaryFile, Summary("ddpg", chosen, graph, budget, floatAccuracy, episodes));

        var uniform = (from w in bits from a in bits select BitPolicy.Uniform(graph, w, a))
            .Select(p => Record(0, "candidate", p, plan.Price(p), budget, floatAccuracy, random)).Where(r => r.Fits).MaxBy(r => r.Accuracy)!;
        WriteJson(Path.Combine(folder, RunFolderLayout.RuleBaselineFolder), SearchWorkflow.SummaryFile,
            Summary("rule", Record(0, "candidate", rule, plan.Price(rule), budget, floatAccuracy, random), graph, budget, floatAccuracy, 1));
        WriteJson(Path.Combine(folder, RunFolderLayout.UniformBaselineFolder), SearchWorkflow.SummaryFile,
            Summary("uniform", uniform, graph, budget, floatAccuracy, 9));
        if (stages == Stages.UpToSearch) return;

        var cost = plan.Price(BitPolicy.Create(graph, chosen.Policy.Select(p => KeyValuePair.Create(p.Key, Parse(p.Value)))));
        double qat = chosen.Accuracy + 0.012;
        WriteJson(folder, RunFolderLayout.FinetuneFacts, new FinetuneFacts(1, 55_000, chosen.Accuracy - 0.004, qat, floatAccuracy, 95.5));
        WriteJson(folder, RunFolderLayout.IntegerFacts, new IntegerModelFacts(qat - 0.0007, qat, 0.9962, cost.FlashBytes, cost.Footprint.WeightBytes, cost.Footprint.ParameterBytes, 10_000));
        WriteJson(folder, RunFolderLayout.QdqFacts, new QdqFacts(0.9991, 10_000));
        WriteJson(folder, RunFolderLayout.CCheck, new CCheckFacts(qat - 0.0007, 10_000, true, 16,
        [
            Board("stm32g071", "Cortex-M0+", budget, cost, plan, instructionsPerMac: 2.6),
            Board("stm32l476", "Cortex-M4", MemoryBudget.For(BoardPreset.Find("stm32l476")), cost, plan, instructionsPerMac: 1.1),
        ]));
    }

    private static SearchRecord Record(int index, string kind, BitPolicy policy, PlanCost cost, MemoryBudget budget, double floatAccuracy, Random random)
    {
        double loss = policy.Layers.Sum(l => (8 - policy[l].WeightBits) * 0.0009 + (8 - policy[l].ActivationBits) * 0.0012);
        loss *= loss * 8; // small for a few cuts, large for many, as measured accuracies are
        float accuracy = (float)(floatAccuracy - loss - random.NextDouble() * 0.01);
        bool fits = cost.Fits(budget);
        return new SearchRecord
        {
            Index = index, Kind = kind, Bits = string.Join("", policy.Layers.Select(l => $"{policy[l].WeightBits}{policy[l].ActivationBits}")),
            Policy = policy.Layers.ToDictionary(l => l, l => $"{policy[l].WeightBits}/{policy[l].ActivationBits}"),
            FlashBytes = cost.FlashBytes, PeakRamBytes = cost.PeakRamBytes, Fits = fits, Accuracy = accuracy, FloatAccuracy = (float)floatAccuracy,
            Agreement = accuracy + 0.05f, MeanKl = loss, Reward = fits ? accuracy - floatAccuracy : -1 + accuracy * 0.1, Cached = false,
            EvaluationSeconds = 1.5, ElapsedSeconds = 1.5 * (index + 1), Time = DateTimeOffset.UnixEpoch,
        };
    }

    private static SearchSummary Summary(string strategy, SearchRecord r, MixBit.Nn.Graph.ModelGraph graph, MemoryBudget b, double floatAccuracy, int evaluations)
        => new(strategy, 0, graph.Name, b.Device, b.FlashBytes, b.RamBytes, b.FlashReserveBytes, b.RamReserveBytes, b.UsableFlashBytes, b.UsableRamBytes,
            "accuracy", (float)floatAccuracy, r.Accuracy, r.Agreement, r.MeanKl, r.Reward, r.FlashBytes, r.PeakRamBytes,
            (double)r.FlashBytes / b.UsableFlashBytes, (double)r.PeakRamBytes / b.UsableRamBytes, evaluations, evaluations, evaluations * 1.5,
            evaluations * 1.5, r.Index, r.Policy.Select(p => new PolicyLayer(p.Key, Parse(p.Value).WeightBits, Parse(p.Value).ActivationBits)).ToArray());

    private static BoardCheck Board(string name, string core, MemoryBudget board, PlanCost cost, DeploymentPlan plan, double instructionsPerMac)
    {
        var layers = plan.Ops.Select(op => new LayerInstructions(op.Name, MemoryAnalyzer.KindName(op), op.Macs, (long)(op.Macs * instructionsPerMac) + 2_000)).ToArray();
        long code = 14_000, stack = 1_200, arena = cost.PeakRamBytes;
        return new BoardCheck(name, core, board.FlashBytes, board.RamBytes, code, cost.FlashBytes, arena, stack,
            code + cost.FlashBytes <= board.FlashBytes && arena + stack <= board.RamBytes, layers.Sum(l => l.Instructions), layers);
    }

    private static LayerBits Parse(string wa) => new(int.Parse(wa.Split('/')[0]), int.Parse(wa.Split('/')[1]));

    private static void WriteJson<T>(string folder, string file, T value) => AtomicFile.WriteAllText(Path.Combine(folder, file), JsonSerializer.Serialize(value, Json));
}
