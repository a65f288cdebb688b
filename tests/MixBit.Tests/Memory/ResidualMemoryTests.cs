using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

/// <summary>
/// <see cref="MemoryTestModels.Residual"/>: input 4x8x8 = 256 elements; c1, c2, c3 and add outputs 256 elements each.
/// Ops: c1 (0), c2 (1), c3 (2), add (3), gap (4), fc (5). Scratch (<see cref="KernelScratch"/>): c1 pointwise K = 4 ->
/// Kp 16, 8 columns: 2*16*10 = 320; c2, c3 3x3 convs K = 36 -> Kp 48: 2*48*10 = 960; fc K = 4 -> 2*16*3 = 96; add, gap none.
/// </summary>
public class ResidualMemoryTests
{
    [Fact]
    public void Skip_buffer_is_live_while_the_branch_runs()
    {
        var g = MemoryTestModels.Residual();
        var plan = DeploymentPlan.Build(g);
        var cost = plan.Price(BitPolicy.Uniform(g, 8, 8));
        Assert.Equal(["c1", "c2", "c3", "add", "gap", "fc"], plan.Ops.Select(o => o.Name));
        int skip = plan.Op("c1").Output;
        // c1: input 256 + out 256 + 320 = 832. c2: 256 + 256 + 960 = 1472 (c1's output is c2's input and still read by add).
        // c3: in (c2) 256 + out 256 + skip (c1) 256 + 960 = 1728: without the skip it would be 1472.
        // add: 256 + 256 + 256 = 768. gap: 256 + 4 = 260. fc: 4 + 2 + 96 = 102.
        Assert.Equal([832L, 1472, 1728, 768, 260, 102], cost.Ops.Select(o => o.RamBytes));
        Assert.Contains(skip, plan.Op("c3").LiveTensors);
        Assert.Equal(1728, cost.PeakRamBytes);
        Assert.Equal("c3", cost.Footprint.PeakRamOp);
        Assert.Equal(plan.Op("add").Index, plan.Tensors[skip].LastUseOp);
    }

    [Fact]
    public void Add_output_takes_the_larger_input_bits_and_fuses_its_relu()
    {
        var g = MemoryTestModels.Residual();
        var plan = DeploymentPlan.Build(g);
        var cost = plan.Price(BitPolicy.Uniform(g, 8, 8).With("c1", 8, 2).With("c3", 8, 4));
        var add = plan.Op("add");
        Assert.Equal(DeployedOpKind.Add, add.Kind);
        Assert.NotNull(add.Activation);
        Assert.Equal(29, add.ParameterBytes);
        Assert.Equal(4, cost.BitsOf(add.Output));                    // max(2, 4)
        Assert.Equal(["c1", "c3"], plan.Tensors[add.Output].BitSources.Order());
        Assert.False(plan.Tensors[add.Output].Signed);               // the fused ReLU makes it unsigned
        Assert.True(plan.Tensors[plan.Op("c3").Output].Signed);      // c3 has no activation
        // c3: c2 out 256 + c3 out 256*4/8 = 128 + skip 256*2/8 = 64 + 960 = 1408.  add: 64 + 128 + 128 = 320.
        Assert.Equal(1408, cost.Op("c3").RamBytes);
        Assert.Equal(320, cost.Op("add").RamBytes);
        Assert.Equal(4, cost.BitsOf(plan.Op("gap").Output));         // gap keeps the add's bits
    }

    [Fact]
    public void Rule_based_allocation_counts_the_skip_buffer()
    {
        // Budget 1300 B RAM. Sweep 1: c2 at 1472: its input c1 and output c2 tie (256 B) -> cut the output, c2 a4 (1344,
        // still over; the sweep moves on). c3: c2 128 + c3 256 + skip 256 + 960 = 1600 -> the larger, c3's output -> a4: 1472.
        // add: 256 + 128 + 256 = 640 fits. Sweep 2: c2 1344 -> its input c1 (256) is the larger -> c1 a4: 1216. c3: 128 + 128
        // + skip 128 + 960 = 1344 -> tie, the output: c3 a2: 128 + 64 + 128 + 960 = 1280 fits (the skip still counts).
        var g = MemoryTestModels.Residual();
        var result = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(1 << 20, 1300));
        Assert.Equal(new LayerBits(8, 4), result.Policy["c1"]);
        Assert.Equal(new LayerBits(8, 4), result.Policy["c2"]);
        Assert.Equal(new LayerBits(8, 2), result.Policy["c3"]);
        Assert.Equal(128 + 64 + 128 + 960, result.Cost.Op("c3").RamBytes);
        Assert.Equal(1280, result.Cost.PeakRamBytes);
        Assert.Equal(["c2", "c3", "c1", "c3"], result.Cuts.Select(c => c.Layer));
    }
}
