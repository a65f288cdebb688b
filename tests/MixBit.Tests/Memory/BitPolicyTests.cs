using MixBit.Memory;
using MixBit.Quantization;

namespace MixBit.Tests.Memory;

public class BitPolicyTests
{
    [Fact]
    public void Json_round_trip_keeps_every_layer_and_order()
    {
        var g = MemoryTestModels.ThreeLayer();
        var p = BitPolicy.Uniform(g, 8, 8).With("conv1", 2, 4).With("fc", 4, 2);
        var back = BitPolicy.FromJson(p.ToJson(), g);
        Assert.True(back.SameBitsAs(p));
        Assert.Equal(["conv1", "dw", "fc"], back.Layers);
        Assert.Contains("\"weightBits\": 2", p.ToJson());

        var dir = Directory.CreateTempSubdirectory("mixbit-policy-");
        try
        {
            var path = Path.Combine(dir.FullName, "policy.json");
            p.Write(path);
            p.With("dw", 4, 4).Write(path); // overwrite in place
            Assert.Equal(new LayerBits(4, 4), BitPolicy.Read(path, g)["dw"]);
            Assert.Single(dir.GetFiles());  // no temporary file left behind
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void With_returns_a_new_policy()
    {
        var g = MemoryTestModels.ThreeLayer();
        var p = BitPolicy.Uniform(g, 8, 8);
        var q = p.With("dw", 2, 2);
        Assert.Equal(new LayerBits(8, 8), p["dw"]);
        Assert.Equal(new LayerBits(2, 2), q["dw"]);
    }

    [Fact]
    public void Validation_names_the_layer_and_the_allowed_values()
    {
        var g = MemoryTestModels.ThreeLayer();
        var bad = Assert.Throws<MixBitException>(() => BitPolicy.Uniform(g, 8, 8).With("dw", 3, 8));
        Assert.Contains("'dw'", bad.Message);
        Assert.Contains("2, 4 and 8", bad.Message);
        var unknown = Assert.Throws<MixBitException>(() => BitPolicy.FromJson(
            """{"layers":[{"name":"conv1","weightBits":8,"activationBits":8},{"name":"dw","weightBits":8,"activationBits":8},{"name":"fc","weightBits":8,"activationBits":8},{"name":"conv9","weightBits":8,"activationBits":8}]}""", g));
        Assert.Contains("'conv9'", unknown.Message);
        var missing = Assert.Throws<MixBitException>(() => BitPolicy.FromJson(
            """{"layers":[{"name":"conv1","weightBits":8,"activationBits":8},{"name":"fc","weightBits":8,"activationBits":8}]}""", g));
        Assert.Contains("'dw'", missing.Message);
        var activation = Assert.Throws<MixBitException>(() => BitPolicy.FromJson(
            """{"layers":[{"name":"conv1","weightBits":8,"activationBits":16},{"name":"dw","weightBits":8,"activationBits":8},{"name":"fc","weightBits":8,"activationBits":8}]}""", g));
        Assert.Contains("'conv1'", activation.Message);
        Assert.Contains("activation bits 16", activation.Message);
        Assert.Throws<MixBitException>(() => BitPolicy.FromJson("{ not json", g));
        Assert.Throws<MixBitException>(() => BitPolicy.FromJson("""{"model":"x"}""", g));
        Assert.Throws<MixBitException>(() => BitPolicy.Read("/nonexistent/policy.json", g));
    }

    [Fact]
    public void Only_conv_and_linear_nodes_are_policy_layers()
    {
        var g = MemoryTestModels.Residual();
        Assert.Equal(["c1", "c2", "c3", "fc"], BitPolicy.QuantizableLayers(g));
    }
}
