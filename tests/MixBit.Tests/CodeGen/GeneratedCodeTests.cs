using MixBit.CodeGen;
using MixBit.Integer;
using MixBit.Memory;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Quantization;
using MixBit.Tests.Integer;
using MixBit.Workflows;

namespace MixBit.Tests.CodeGen;

/// <summary>The runtime compiled once with host gcc for the generated-code tests.</summary>
internal sealed class HostRuntime : IDisposable
{
    public TestFolders.Scratch Folder { get; } = new();
    public string[] Objects { get; }

    public HostRuntime()
    {
        var sources = Directory.GetFiles(TestFolders.Repo("runtime/src"), "*.c");
        Objects = sources.Select(s => Folder.File(Path.GetFileNameWithoutExtension(s) + ".o")).ToArray();
        Parallel.For(0, sources.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            ProcessRun.Checked("gcc", 600_000, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I", TestFolders.Repo("runtime/include"), "-I", TestFolders.Repo("runtime/src"), "-c", sources[i], "-o", Objects[i]));
    }

    public void Dispose() => Folder.Dispose();
}

/// <summary>
/// Generated C (model.c + the runtime + the harness), compiled with host gcc, gives exactly the integer engine's
/// logits: every (weight, input, output) bit triple of conv, pointwise and depthwise, with odd channel counts, fully
/// connected, pools and residual adds; the generated arrays and arena are the memory model's figures.
/// </summary>
public class GeneratedCodeTests(GeneratedCodeTests.Runtime runtime) : IClassFixture<GeneratedCodeTests.Runtime>
{
    /// <summary>xunit needs a public fixture type.</summary>
    public sealed class Runtime : IDisposable
    {
        internal HostRuntime Host { get; } = new();
        internal string[] Objects => Host.Objects;
        public void Dispose() => Host.Dispose();
    }

    private static readonly int[] Bits = [2, 4, 8];

    /// <summary>
    /// stem conv3x3 (act A) -> dw (W, act A) -> pw (W, act O) -> conv3x3 s2 (W, act A) -> dw (W, act O) -> maxpool ->
    /// gap -> fc (W): the pointwise layer sees (W, A, O), the second conv (W, O, A), the second depthwise (W, A, O).
    /// </summary>
    private static (ModelGraph, BitPolicy) Chain(int w, int a, int o, int id)
    {
        int c = new[] { 3, 5, 7 }[id % 3];
        var b = new GraphBuilder(new ActivationShape(1, 9, 9));
        b.Conv(c, 3, name: "stem"); b.BatchNorm(); b.Relu6();
        b.DepthwiseConv(3, name: "dw1"); b.BatchNorm(); b.Relu();
        b.Conv(c + 2 * (id % 4) + 2, 1, name: "pw"); b.BatchNorm(); b.Relu6();
        b.Add(new Conv2dSpec(b.CurrentShape.Channels, 2 * (id % 3) + 5, 3, 3, 2, 2, 1, 1, 1, 1), "conv"); b.BatchNorm(); b.Relu();
        b.DepthwiseConv(3, name: "dw2"); b.BatchNorm(); b.Relu6();
        b.MaxPool(2, 1);
        b.GlobalAvgPool(); b.Flatten();
        b.Linear(7, name: "fc");
        var g = b.Build($"chain_w{w}a{a}o{o}");
        var policy = BitPolicy.Create(g, [
            KeyValuePair.Create("stem", new LayerBits(8, a)), KeyValuePair.Create("dw1", new LayerBits(w, a)),
            KeyValuePair.Create("pw", new LayerBits(w, o)), KeyValuePair.Create("conv", new LayerBits(w, a)),
            KeyValuePair.Create("dw2", new LayerBits(w, o)), KeyValuePair.Create("fc", new LayerBits(w, 8))]);
        return (g, policy);
    }

    [Fact]
    public void Generated_C_is_bit_exact_with_the_integer_engine_for_every_bit_triple()
    {
        int id = 0;
        foreach (int w in Bits)
            foreach (int a in Bits)
                foreach (int o in Bits)
                {
                    var (g, policy) = Chain(w, a, o, id);
                    CheckModel(g, policy, id++);
                }
    }

    [Fact]
    public void Generated_C_is_bit_exact_on_random_models_with_residuals_pools_and_odd_channels()
    {
        var rng = new Random(41);
        int done = 0;
        for (int trial = 0; done < 12 && trial < 100; trial++)
        {
            var g = IntegerTestModels.Random(rng, trial);
            // grouped and dilated convolutions have no C kernel (docs/RUNTIME.md); the generator refuses them
            if (g.Nodes.Any(n => n.Spec is Conv2dSpec { Groups: > 1, IsDepthwise: false } or Conv2dSpec { DilationH: > 1 } or Conv2dSpec { DilationW: > 1 })) continue;
            CheckModel(g, IntegerTestModels.RandomPolicy(g, rng), 100 + trial);
            done++;
        }
        Assert.Equal(12, done);
    }

    [Fact]
    public void Grouped_convolutions_are_refused_with_a_message()
    {
        var b = new GraphBuilder(new ActivationShape(4, 6, 6));
        b.Conv(4, 3, groups: 2, name: "grouped"); b.BatchNorm(); b.Relu();
        b.GlobalAvgPool(); b.Flatten(); b.Linear(3);
        var g = b.Build("grouped");
        var c = IntegerTestModels.Calibrated(g, BitPolicy.Uniform(g, 8, 8), new QuantizationOptions(), 1, images: 16);
        var e = Assert.Throws<MixBitException>(() => new CModelWriter(c.Quantized));
        Assert.Contains("grouped", e.Message);
    }

    private void CheckModel(ModelGraph g, BitPolicy policy, int seed)
    {
        var c = IntegerTestModels.Calibrated(g, policy, new QuantizationOptions(), seed, images: 32);
        var model = c.Quantized;
        var writer = new CModelWriter(model);
        // the arena and the weight arrays are the memory model's figures
        var cost = c.Network.Plan.Price(policy);
        Assert.Equal(cost.PeakRamBytes, writer.Arena.SizeBytes);
        Assert.Equal(cost.Ops.Sum(o => o.WeightBytes), model.WeightBytes);
        Assert.Equal(cost.Ops.Sum(o => o.ScratchBytes), Enumerable.Range(0, model.Ops.Length).Sum(writer.Arena.ScratchBytes));
        for (int t = 0; t < model.Tensors.Length; t++) Assert.Equal(cost.Arena.TensorOffset(t), writer.Arena.TensorOffset(t));

        int n = 12;
        var pixels = ImagePixels.Nhwc(c.Images, n);
        var expected = new int[n * model.Output.Elements];
        new IntegerEngine(model).Run(pixels, n, expected);
        using var dir = new TestFolders.Scratch();
        DeployWorkflow.WriteFolder(dir.Path, model, writer, BoardPreset.Find("stm32h743"), pixels, expected, n);
        string exe = dir.File("harness_host");
        string[] inc = ["-I", dir.Path, "-I", TestFolders.Repo("runtime/include"), "-I", dir.File("harness")];
        ProcessRun.Checked("gcc", 120_000, ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", .. inc, dir.File("model.c"), dir.File("harness/main.c"), .. runtime.Objects, "-o", exe]);
        string output = ProcessRun.Checked(exe, 60_000);
        Assert.Contains($"bitexact {n} of {n}", output);
    }
}
