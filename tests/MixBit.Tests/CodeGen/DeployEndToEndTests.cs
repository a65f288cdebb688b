using System.Text.Json;
using MixBit.Integer;
using MixBit.Memory;
using MixBit.Quantization;
using MixBit.Reporting;
using MixBit.Workflows;
using Xunit.Abstractions;

namespace MixBit.Tests.CodeGen;

/// <summary>
/// The default model (MobileNetV1 0.25 on Fashion-MNIST) at the STM32G071 rule-based mixed policy (budget reserves
/// included), deployed and checked end to end: Cortex-M0+ build fits 128 kB / 36 kB per arm-none-eabi-size, QEMU
/// output bit-exact with the integer engine on 20 test images, host build bit-exact on the test images it runs, and
/// check.json in the run folder's format.
/// </summary>
public class DeployEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public void Default_model_at_the_stm32g071_policy_fits_the_cortex_m0plus_and_runs_bit_exact_in_qemu()
    {
        var (model, plan, policy, board) = DefaultModelAtG071();
        using var dir = new TestFolders.Scratch();
        var check = DeployWorkflow.Run(model, new DeployOptions(dir.File("c"), board.Name, Check: true, TestImages: 20, Cores: ["m0plus"], HostImages: 300));
        CheckBuild(check, check.Boards.Single(), model, plan, policy, board);
        // check.json is what the report reads
        var read = JsonSerializer.Deserialize<CCheckFacts>(File.ReadAllText(dir.File("c/check.json")), DeployWorkflow.Json)!;
        Assert.Equal(check.Facts.HostImages, read.HostImages);
        Assert.Equal(check.Boards[0].Facts.FlashBytes, read.Boards[0].FlashBytes);
        Assert.True(File.Exists(dir.File("c/model.c")) && File.Exists(dir.File("c/README.md")) && File.Exists(dir.File("c/boards/mps3-an547.ld")));
    }

    /// <summary>All cores (M0+, M4, M7, M55) and the whole test set on the host: several minutes.</summary>
    [Fact, Trait("Category", "Slow")]
    public void Default_model_at_the_stm32g071_policy_is_bit_exact_on_every_core_and_the_whole_test_set()
    {
        var (model, plan, policy, board) = DefaultModelAtG071();
        using var dir = new TestFolders.Scratch();
        var check = DeployWorkflow.Run(model, new DeployOptions(dir.File("c"), board.Name, Check: true, TestImages: 20));
        Assert.Equal(["cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m55"], check.Boards.Select(b => b.Facts.Core));
        Assert.Equal(10_000, check.Facts.HostImages);
        foreach (var b in check.Boards) CheckBuild(check, b, model, plan, policy, board);
    }

    private static (QuantizedModel, DeploymentPlan, BitPolicy, BoardPreset) DefaultModelAtG071()
    {
        var options = new QuantizationOptions { CalibrationBatches = 1, CalibrationBatchSize = 128, ActivationRange = RangeMethod.MinMax };
        var data = QuantizeWorkflow.Load(TestFolders.Repo("models/mobilenet_v1_w0.25_fmnist.onnx"), null, 1000, EvaluationSplit.Test, 0, options, 0);
        var board = BoardPreset.Find("stm32g071");
        var plan = DeploymentPlan.Build(data.Model.Graph);
        var policy = RuleBasedAllocator.Allocate(plan, MemoryBudget.For(board)).Policy;
        var fq = new FakeQuantNetwork(data.Model, policy, options, data.Normalization);
        CalibrationStatistics.Collect(fq, CalibrationStatistics.Batches(data.Calibration, data.Normalization, options.CalibrationBatchSize, options.CalibrationBatches)).ApplyTo(fq);
        var model = IntegerConverter.Convert(fq);
        Assert.Equal(plan.Price(policy).FlashBytes, model.FlashBytes);
        return (model, plan, policy, board);
    }

    private void CheckBuild(DeployCheck check, DeployedBoard b, QuantizedModel model, DeploymentPlan plan, BitPolicy policy, BoardPreset board)
    {
        output.WriteLine($"{b.Facts.Core}: FLASH {b.Facts.FlashBytes} RAM {b.Facts.RamBytes} code {b.Facts.CodeBytes} stack {b.Facts.StackBytes}; {b.Facts.Instructions} instructions; QEMU {b.QemuBitExact}/{b.QemuImages}");
        Assert.Equal(20, b.QemuImages);
        Assert.Equal(20, b.QemuBitExact);
        Assert.True(check.Facts.QemuBitExact);
        Assert.Equal(check.Facts.HostImages, check.HostBitExact);
        Assert.Equal(check.IntegerAccuracy, (float)check.Facts.HostAccuracy);
        Assert.True(b.Facts.Fits, $"M0+ build {b.Facts.FlashBytes} B FLASH / {b.Facts.RamBytes} B RAM over {board}");
        // the measured runtime stays within the reserve the budget assumed
        Assert.True(b.Facts.CodeBytes <= board.Reserve.FlashBytes, $"code {b.Facts.CodeBytes} B over the FLASH reserve {board.Reserve.FlashBytes} B");
        Assert.True(b.Facts.RamBytes - b.Facts.ArenaBytes <= board.Reserve.RamBytes, $"stack and data {b.Facts.RamBytes - b.Facts.ArenaBytes} B over the RAM reserve");
        // arena and weights are the memory model's figures
        Assert.Equal(plan.Price(policy).PeakRamBytes, b.Facts.ArenaBytes);
        Assert.Equal(plan.Price(policy).Ops.Sum(o => o.WeightBytes), b.Facts.WeightBytes);
        Assert.Equal(model.Ops.Length, b.Facts.Layers.Count);
        Assert.All(b.Facts.Layers, l => Assert.True(l.Instructions > 0));
        Assert.Equal(b.Facts.Instructions, b.Facts.Layers.Sum(l => l.Instructions));
    }
}
