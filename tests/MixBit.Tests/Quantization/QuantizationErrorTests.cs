using MixBit.Nn.Graph;
using MixBit.Quantization;
using MixBit.Tests.Memory;
using MixBit.Workflows;

namespace MixBit.Tests.Quantization;

/// <summary>The one-line user errors `mixbit quantize` and `mixbit finetune` print come from these services.</summary>
public class QuantizationErrorTests
{
    [Fact]
    public void Missing_model_file_is_one_clear_sentence()
    {
        var e = Assert.Throws<MixBitException>(() => QuantizeWorkflow.Run(new QuantizeRequest("/nonexistent/m.onnx", new PolicySource(null, 4, 4), new QuantizationOptions())));
        Assert.Contains("'/nonexistent/m.onnx' does not exist", e.Message);
    }

    [Fact]
    public void Bits_outside_2_4_8_are_rejected_with_the_allowed_values()
    {
        var e = Assert.Throws<MixBitException>(() => new PolicySource(null, 3, 8).Resolve(QuantTestModels.TinyCnn()));
        Assert.Contains("allowed values are 2, 4 and 8", e.Message);
    }

    [Fact]
    public void A_policy_naming_an_unknown_layer_lists_the_real_ones()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mixbit-policy-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"layers":[{"name":"nope","weightBits":4,"activationBits":4}]}""");
        try
        {
            var e = Assert.Throws<MixBitException>(() => new PolicySource(path).Resolve(QuantTestModels.TinyCnn()));
            Assert.Contains("'nope'", e.Message);
            Assert.Contains("c1", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Policy_file_and_uniform_flags_together_or_neither_are_errors()
    {
        Assert.Contains("not both", Assert.Throws<MixBitException>(() => new PolicySource("p.json", 4, null).Resolve(QuantTestModels.TinyCnn())).Message);
        Assert.Contains("No bit policy", Assert.Throws<MixBitException>(() => new PolicySource().Resolve(QuantTestModels.TinyCnn())).Message);
        Assert.Contains("unknown", Assert.Throws<MixBitException>(() => QuantizationOptions.ParseRange("median")).Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Keep_first_last_8bit_sets_exactly_the_first_and_last_layers()
    {
        var graph = QuantTestModels.TinyCnn();
        var p = new PolicySource(null, 2, 8, KeepFirstLast8Bit: true).Resolve(graph);
        Assert.Equal(new LayerBits(8, 8), p["c1"]);
        Assert.Equal(new LayerBits(8, 8), p["fc"]);
        Assert.Equal(new LayerBits(2, 8), p["dw"]);
    }

    [Fact]
    public void Grouping_takes_the_sole_reader_batch_norm_and_relu()
    {
        var graph = MemoryTestModels.Residual();
        var groups = LayerChain.All(graph).ToDictionary(g => g.Name);
        Assert.Equal(graph.IndexOf("c1.act"), groups["c1"].Tail);
        Assert.Null(groups["c3"].Activation); // c3.bn feeds the Add
        Assert.Equal(graph.IndexOf("c3.bn"), groups["c3"].Tail);
        Assert.Equal(graph.IndexOf("fc"), groups["fc"].Tail);
    }
}
