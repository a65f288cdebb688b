using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

/// <summary>
/// <see cref="MemoryTestModels.Residual"/>: input 4x8x8 = 256 elements; c1, c2, c3 and add outputs 256 elements each.
/// Ops: c1 (0), c2 (1), c3 (2), add (3), gap (4), fc (5). Scratch: c2, c3 are 3x3 convs, 4*3*3 = 36 B; c1 is pointwise.
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
        // c1: input 256 + out 256 = 512. c2: 256 + 256 + 36 = 548 (c1's output is c2's input and still read by add).
        // c3: in (c2) 256 + out 256 + skip (c1) 256 + 36 = 804: without the skip it would be 548.
        // add: 256 + 256 + 256 = 768. gap: 256 + 4 = 260. fc: 4 + 2 = 6.
        Assert.Equal([512L, 548, 804, 768, 260, 6], cost.Ops.Select(o => o.RamBytes));
        Assert.Contains(skip, plan.Op("c3").LiveTensors);
        Assert.Equal(804, cost.PeakRamBytes);
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
        // c3: c2 out 256 + c3 out 256*4/8 = 128 + skip 256*2/8 = 64 + 36 = 484.  add: 64 + 128 + 128 = 320.
        Assert.Equal(484, cost.Op("c3").RamBytes);
        Assert.Equal(320, cost.Op("add").RamBytes);
        Assert.Equal(4, cost.BitsOf(plan.Op("gap").Output));         // gap keeps the add's bits
    }

    [Fact]
    public void Rule_based_allocation_counts_the_skip_buffer()
    {
        // Budget 600 B RAM. Sweep 1: c3 at 804 > 600, its input c2 (256 B) and output c3 (256 B) tie -> cut the output,
        // c3 a8 -> a4: 256 + 128 + 256 + 36 = 676, still over but the sweep moves on. add: c1 256 + c3 128 + add 256 (bits
        // max(8,4) = 8) = 640 > 600 -> the largest is the add output, set by c1 (at 8) -> c1 a4; add is now 4-bit: 384.
        // Sweep 2: c3 = 256 + 128 + 128 + 36 = 548 fits; everything fits.
        var g = MemoryTestModels.Residual();
        var result = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(1 << 20, 600));
        Assert.Equal(new LayerBits(8, 4), result.Policy["c1"]);
        Assert.Equal(new LayerBits(8, 8), result.Policy["c2"]);
        Assert.Equal(new LayerBits(8, 4), result.Policy["c3"]);
        Assert.Equal(548, result.Cost.PeakRamBytes);
        Assert.Equal(["c3", "c1"], result.Cuts.Select(c => c.Layer));
    }
}
