using MixBit.Memory;
using MixBit.Models.Architectures;
using MixBit.Quantization;
using MixBit.Tests.Integer;

namespace MixBit.Tests.Memory;

/// <summary>The arena placement: no two live buffers overlap, and its size is the memory model's peak RAM.</summary>
public class ArenaLayoutTests
{
    [Fact]
    public void Placement_never_overlaps_live_buffers_and_the_arena_is_the_reported_peak_ram_on_random_models_and_policies()
    {
        var rng = new Random(17);
        int atBound = 0, trials = 0;
        for (int trial = 0; trial < 120; trial++)
        {
            var graph = trial % 2 == 0 ? MemoryTestModels.Random(rng, trial) : IntegerTestModels.Random(rng, trial);
            var plan = DeploymentPlan.Build(graph);
            var cost = plan.Price(IntegerTestModels.RandomPolicy(graph, rng));
            var arena = cost.Arena;
            Assert.True(arena.HasNoOverlap(), $"{graph.Name}: two live buffers overlap");
            Assert.Equal(arena.SizeBytes, cost.PeakRamBytes);
            Assert.True(arena.SizeBytes >= cost.Ops.Max(o => o.RamBytes), $"{graph.Name}: arena below an op's live set");
            Assert.Equal(cost.Ops.Max(o => o.RamBytes), arena.LowerBoundBytes);
            // every live tensor of every op is a buffer live at that op
            for (int o = 0; o < plan.Ops.Count; o++)
                foreach (int t in plan.Ops[o].LiveTensors)
                    Assert.True(arena.Buffers[t].FirstOp <= o && o <= arena.Buffers[t].LastOp);
            atBound += arena.SizeBytes == arena.LowerBoundBytes ? 1 : 0;
            trials++;
        }
        // greedy placement reaches the sum-of-live bound on most models (the rest report the placed size)
        Assert.True(atBound >= trials * 8 / 10, $"only {atBound} of {trials} placements reached the bound");
    }

    [Fact]
    public void Chains_such_as_MobileNetV1_place_at_exactly_the_largest_live_set()
    {
        var graph = MobileNetV1.Build(new ArchitectureOptions(0.25, 28, 1, 10));
        var plan = DeploymentPlan.Build(graph);
        foreach (var (w, a) in new[] { (8, 8), (4, 4), (2, 2), (8, 4) })
        {
            var cost = plan.Price(BitPolicy.Uniform(graph, w, a));
            Assert.True(cost.Arena.HasNoOverlap());
            Assert.Equal(cost.Ops.Max(o => o.RamBytes), cost.PeakRamBytes);
        }
    }

    [Fact]
    public void Hand_made_buffers_overlap_only_when_not_live_together()
    {
        ArenaBuffer[] b = [new("a", 100, 0, 1), new("b", 50, 1, 2), new("c", 100, 2, 3), new("s", 10, 1, 1, 4)];
        var l = ArenaLayout.Place(b);
        Assert.True(l.HasNoOverlap());
        Assert.Equal(160, l.LowerBoundBytes);
        Assert.Equal(160, l.SizeBytes);
        Assert.Equal(0, l.OffsetOf(3) % 4);
    }
}
