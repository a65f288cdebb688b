using MixBit.Memory;
using MixBit.Models.Architectures;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

/// <summary>Rule-based allocation on <see cref="MemoryTestModels.ThreeLayer"/> (figures in <see cref="DeploymentPlanTests"/>) and on random models.</summary>
public class RuleBasedAllocatorTests
{
    [Fact]
    public void Cuts_ram_then_flash_as_published()
    {
        // RAM 431 B: conv1 (36 in + 108 out + 320 scratch = 464) is over; input is fixed 8-bit, so conv1's output -> a4: 410.
        // FLASH 229 B: 237 at 8 bits. Weight bytes 27, 27, 15 (shares .39, .39, .22): conv1 and dw within 0.05 of the
        // largest, the earliest is conv1 -> w4 (14 B): FLASH 224 fits.
        var g = MemoryTestModels.ThreeLayer();
        var r = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(229, 431));
        Assert.Equal(new LayerBits(4, 4), r.Policy["conv1"]);
        Assert.Equal(new LayerBits(8, 8), r.Policy["dw"]);
        Assert.Equal(new LayerBits(8, 8), r.Policy["fc"]);
        Assert.Equal(224, r.Footprint.FlashBytes);
        Assert.Equal(410, r.Footprint.PeakRamBytes);
    }

    [Fact]
    public void Weight_cuts_follow_the_largest_share_down_to_two_bits()
    {
        // RAM 390: conv1 464 > 390 -> conv1 a4 (410, still over; the sweep moves on); dw 54 + 27 + 264 = 345 fits.
        // Sweep 2: conv1 410 -> a2: 36 + 27 + 320 = 383 fits. FLASH 189 (168 B of parameters), weights (bytes) and shares:
        //   27,27,15 (.39 .39 .22) -> conv1 w4 | 14,27,15 (.25 .48 .27) -> dw w4 | 14,14,15 (.33 .33 .35) all within .05 -> conv1 w2
        //   7,14,15 (.19 .39 .42) -> dw w2 | 7,7,15 (.24 .24 .52) -> fc w4: FLASH 168 + 22 = 190 > 189 | only fc above 2 bits -> fc w2: 186.
        var g = MemoryTestModels.ThreeLayer();
        var r = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(189, 390));
        Assert.Equal(new LayerBits(2, 2), r.Policy["conv1"]);
        Assert.Equal(new LayerBits(2, 8), r.Policy["dw"]);
        Assert.Equal(new LayerBits(2, 8), r.Policy["fc"]);
        Assert.Equal(186, r.Footprint.FlashBytes);
        Assert.Equal(383, r.Footprint.PeakRamBytes);
        Assert.Equal(
            ["a conv1 8>4 Ram", "a conv1 4>2 Ram", "w conv1 8>4 Flash", "w dw 8>4 Flash", "w conv1 4>2 Flash", "w dw 4>2 Flash", "w fc 8>4 Flash", "w fc 4>2 Flash"],
            r.Cuts.Select(c => $"{(c.Target == BitCutTarget.Activation ? "a" : "w")} {c.Layer} {c.FromBits}>{c.ToBits} {c.Reason}"));
    }

    [Fact]
    public void Infeasible_budget_reports_the_all_two_bit_footprint()
    {
        // All at 2 bits: FLASH 186, RAM 383 (conv1: the 8-bit input 36 + 27 + 320 scratch). 382 B of RAM is too little.
        var g = MemoryTestModels.ThreeLayer();
        var e = Assert.Throws<InfeasibleBudgetException>(() => RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(1000, 382)));
        Assert.Equal(186, e.MinFlashBytes);
        Assert.Equal(383, e.MinRamBytes);
        Assert.True(e.FlashFits);
        Assert.False(e.RamFits);
        Assert.Contains("186 B", e.Message);
        Assert.Contains("383 B", e.Message);
        Assert.IsAssignableFrom<MixBitException>(e);
        // FLASH 185 B is one byte under the minimum.
        Assert.Throws<InfeasibleBudgetException>(() => RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(185, 1000)));
        Assert.Equal(186, RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(186, 383)).Footprint.FlashBytes);
    }

    [Fact]
    public void A_policy_that_fits_at_eight_bits_is_left_alone()
    {
        var g = MemoryTestModels.ThreeLayer();
        var r = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), new MemoryBudget(237, 464));
        Assert.Empty(r.Cuts);
        Assert.True(r.Policy.SameBitsAs(BitPolicy.Uniform(g, 8, 8)));
    }

    [Fact]
    public void Every_rule_based_policy_fits_or_the_budget_is_infeasible_exactly_when_all_two_bit_does_not_fit()
    {
        var rng = new Random(20240517);
        int feasible = 0, infeasible = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            var g = MemoryTestModels.Random(rng, trial);
            var max = DeploymentPlan.Build(g).Price(BitPolicy.Uniform(g, 8, 8)).Footprint;
            var min = RuleBasedAllocator.MinimalFootprint(DeploymentPlan.Build(g));
            // Budgets from 80% of the 2-bit minimum to 110% of the 8-bit footprint.
            long flash = Between(rng, min.FlashBytes * 8 / 10, max.FlashBytes * 11 / 10);
            long ram = Between(rng, min.PeakRamBytes * 8 / 10, max.PeakRamBytes * 11 / 10);
            var budget = new MemoryBudget(flash, ram);
            bool minFits = min.FlashBytes <= flash && min.PeakRamBytes <= ram;
            try
            {
                var r = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), budget);
                Assert.True(minFits, $"trial {trial}: allocation succeeded although the 2-bit minimum does not fit");
                Assert.True(r.Footprint.FlashBytes <= flash && r.Footprint.PeakRamBytes <= ram, $"trial {trial}: {r.Footprint} over {budget}");
                Assert.True(r.Cost.Ops.All(o => o.RamBytes <= ram));
                r.Policy.ValidateFor(g);
                feasible++;
            }
            catch (InfeasibleBudgetException e)
            {
                Assert.False(minFits, $"trial {trial}: reported infeasible although the 2-bit minimum {min} fits {budget}");
                Assert.Equal(min, e.Minimal);
                infeasible++;
            }
        }
        Assert.True(feasible > 40 && infeasible > 20, $"{feasible} feasible, {infeasible} infeasible: the budgets do not test both outcomes");
    }

    [Fact]
    public void MobileNetV1_at_paper_scale_needs_mixed_precision_for_2MB_512kB()
    {
        var g = MobileNetV1.Build(new ArchitectureOptions(1.0, 224, 3, 1000));
        var budget = MemoryBudget.For(BoardPreset.Find("stm32h743"));
        var eight = DeploymentPlan.Build(g).Price(BitPolicy.Uniform(g, 8, 8)).Footprint;
        // 4.2 M weights at 8 bits > 2 MB; stem: 3x224x224 input 147 kB + 32x112x112 output 392 kB > 512 kB.
        Assert.True(eight.FlashBytes > budget.UsableFlashBytes);
        Assert.True(eight.PeakRamBytes > budget.UsableRamBytes);
        var r = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), budget);
        Assert.True(r.Footprint.Fits(budget));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.75)]
    [InlineData(1.0)]
    public void MobileNetV1_rule_based_fits_2MB_512kB_at_resolutions_128_to_224(double width)
    {
        var budget = MemoryBudget.For(BoardPreset.Find("stm32h743"));
        foreach (int resolution in new[] { 128, 160, 192, 224 })
        {
            var g = MobileNetV1.Build(new ArchitectureOptions(width, resolution, 3, 1000));
            var r = RuleBasedAllocator.Allocate(DeploymentPlan.Build(g), budget);
            Assert.True(r.Footprint.Fits(budget), $"{g.Name}: {r.Footprint}");
        }
    }

    private static long Between(Random rng, long lo, long hi) => lo + (long)(rng.NextDouble() * (hi - lo + 1));
}
