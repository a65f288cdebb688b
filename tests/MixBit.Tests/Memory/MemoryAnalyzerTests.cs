using System.Text.Json;
using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

public class MemoryAnalyzerTests
{
    [Fact]
    public void Report_rows_say_which_constraint_binds()
    {
        // Uniform 8-bit on FLASH 229 / RAM 120: FLASH 237 is over, conv1 (153 B) and dw (135 B) are over RAM; conv1 and dw hold the
        // largest weight shares (27 B each of 69). Rule-based: conv1 w4/a4 (see RuleBasedAllocatorTests).
        var g = MemoryTestModels.ThreeLayer();
        var r = MemoryAnalyzer.Analyze(g, new MemoryBudget(229, 120));
        Assert.Equal(["conv1", "dw", "gap", "fc"], r.Rows.Select(x => x.Name));
        Assert.Equal("RAM+FLASH+peak", r.Rows[0].Binds);
        Assert.Equal("RAM+FLASH", r.Rows[1].Binds);   // dw: 108 + 27 = 135 > 120
        Assert.Equal("", r.Rows[3].Binds);
        Assert.Equal(["input", "conv1"], r.Rows[0].LiveTensors);
        Assert.Equal(153, r.Rows[0].RamBytes);
        Assert.Equal(99, r.Rows[0].RuleRamBytes);
        Assert.Equal(4, r.Rows[0].RuleWeightBits);
        Assert.False(r.Uniform8Bit.Fits);
        Assert.Equal(186, r.All2Bit.FlashBytes);
        Assert.True(r.RuleBased.Feasible);
        Assert.Equal(new BitHistogram(2, 1, 0, 2, 1, 0), r.RuleBased.Histogram);
        Assert.Equal(224.0 / 229, r.RuleBased.Footprint!.FlashUtilisation, 12);
        Assert.Contains("\"peakRamBytes\":99", JsonSerializer.Serialize(r, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
    }

    [Fact]
    public void Infeasible_budget_is_reported_not_thrown_and_a_given_policy_is_analysed()
    {
        var g = MemoryTestModels.ThreeLayer();
        var policy = BitPolicy.Uniform(g, 2, 2);
        var r = MemoryAnalyzer.Analyze(g, new MemoryBudget(1000, 60), policy, "p.json");
        Assert.False(r.RuleBased.Feasible);
        Assert.Contains("72 B", r.RuleBased.Error);
        Assert.Equal("p.json", r.PolicySource);
        Assert.Equal(72, r.Footprint.PeakRamBytes);
        Assert.Null(r.Rows[0].RuleRamBytes);
    }
}
