using System.Text.Json;
using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

public class MemoryAnalyzerTests
{
    [Fact]
    public void Report_rows_say_which_constraint_binds()
    {
        // Uniform 8-bit on FLASH 229 / RAM 398: FLASH 237 is over, conv1 (464 B) and dw (399 B) are over RAM; conv1 and dw hold
        // the largest weight shares (27 B each of 69). Rule-based: conv1 a8 -> a4 (410, over) -> a2 (383), then conv1 w4
        // for FLASH (224 B) (see RuleBasedAllocatorTests and the figures in DeploymentPlanTests).
        var g = MemoryTestModels.ThreeLayer();
        var r = MemoryAnalyzer.Analyze(g, new MemoryBudget(229, 398));
        Assert.Equal(["conv1", "dw", "gap", "fc"], r.Rows.Select(x => x.Name));
        Assert.Equal("RAM+FLASH+peak", r.Rows[0].Binds);
        Assert.Equal("RAM+FLASH", r.Rows[1].Binds);   // dw: 108 + 27 + 264 = 399 > 398
        Assert.Equal("", r.Rows[3].Binds);
        Assert.Equal(["input", "conv1"], r.Rows[0].LiveTensors);
        Assert.Equal(464, r.Rows[0].RamBytes);
        Assert.Equal(383, r.Rows[0].RuleRamBytes);
        Assert.Equal(4, r.Rows[0].RuleWeightBits);
        Assert.False(r.Uniform8Bit.Fits);
        Assert.Equal(186, r.All2Bit.FlashBytes);
        Assert.True(r.RuleBased.Feasible);
        Assert.Equal(new BitHistogram(2, 1, 0, 2, 0, 1), r.RuleBased.Histogram);
        Assert.Equal(224.0 / 229, r.RuleBased.Footprint!.FlashUtilisation, 12);
        Assert.Contains("\"peakRamBytes\":383", JsonSerializer.Serialize(r, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    }

    [Fact]
    public void Infeasible_budget_is_reported_not_thrown_and_a_given_policy_is_analysed()
    {
        var g = MemoryTestModels.ThreeLayer();
        var policy = BitPolicy.Uniform(g, 2, 2);
        var r = MemoryAnalyzer.Analyze(g, new MemoryBudget(1000, 300), policy, "p.json");
        Assert.False(r.RuleBased.Feasible);
        Assert.Contains("383 B", r.RuleBased.Error);
        Assert.Equal("p.json", r.PolicySource);
        Assert.Equal(383, r.Footprint.PeakRamBytes);
        Assert.Null(r.Rows[0].RuleRamBytes);
    }
}
