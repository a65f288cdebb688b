using MixBit.Data;
using MixBit.Quantization;
using MixBit.Tests.Nn;
using MixBit.Workflows;

namespace MixBit.Tests.Quantization;

public class LearnedRangesTests
{
    [Fact]
    public void Stored_ranges_reproduce_the_fine_tuned_network_after_a_json_round_trip()
    {
        var graph = QuantTestModels.TinyCnn();
        var model = QuantTestModels.WithRandomBatchNorm(graph, 3);
        var data = QuantTestModels.Quadrants(128, 2);
        var norm = Normalization.FromTrainingSet(data);
        var options = new QuantizationOptions { WeightRange = RangeMethod.Mse };
        var policy = BitPolicy.Uniform(graph, 2, 4);
        var trained = new FakeQuantNetwork(model, policy, options, norm);
        CalibrationStatistics.Collect(trained, CalibrationStatistics.Batches(data, norm, 64, 1)).ApplyTo(trained);
        var x = GradientChecker.Random(5, 4, 1, 8, 8);
        trained.Network.Forward(x);
        // Pretend training moved the clips.
        foreach (var q in trained.ActivationQuantizers.Skip(1)) q.Alpha *= 0.7f;
        var expected = trained.Network.Forward(x).Span.ToArray();

        var json = QuantizationMetadata.From(trained).ToJson();
        var stored = QuantizationMetadata.Read(new Dictionary<string, string> { [QuantizationMetadata.Key] = json })!;
        Assert.True(stored.Policy(graph).SameBitsAs(policy));
        Assert.Equal(options, stored.Options);

        var restored = new FakeQuantNetwork(model, policy, stored.Options, norm);
        CalibrationStatistics.Collect(restored, CalibrationStatistics.Batches(QuantTestModels.Quadrants(128, 7), norm, 64, 1)).ApplyTo(restored);
        stored.Ranges.ApplyTo(restored);
        Assert.Equal(expected, restored.Network.Forward(x).Span.ToArray());
    }
}
