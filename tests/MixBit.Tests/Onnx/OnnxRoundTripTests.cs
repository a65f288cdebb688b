using Google.Protobuf;
using MixBit.Models;
using MixBit.Models.Architectures;
using MixBit.Models.Onnx;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Tests.Onnx;

public class OnnxRoundTripTests
{
    private static readonly ArchitectureOptions Small = new(Width: 0.25, Resolution: 28, InputChannels: 1, Classes: 10);

    public static TheoryData<string> Architectures => [.. ArchitectureRegistry.Names];

    /// <summary>Every layer kind MixBit holds, with non-default settings: asymmetric pads, dilation, bias, padded pools.</summary>
    internal static ModelGraph AllLayersGraph()
    {
        var b = new GraphBuilder(new ActivationShape(2, 13, 11));
        b.Add(new Conv2dSpec(2, 8, 3, 3, 1, 1, padTop: 0, padLeft: 1, padBottom: 2, padRight: 1, hasBias: true, dilationH: 2, dilationW: 1), "conv_a");
        b.BatchNorm("bn_a");
        b.Add(new ReluSpec(4f), "clip4");
        b.Add(new Pool2dSpec(PoolKind.Max, 3, 3, 2, 2, 1, 1, 1, 1), "maxpool");
        int skip = b.Current;
        b.Conv(8, 3, groups: 8, name: "dw");
        b.Relu("relu");
        b.Residual(skip, b.Current, "add");
        b.Add(new Pool2dSpec(PoolKind.Average, 2, 3, 1, 2, 1, 1, 0, 1, countIncludePad: true), "avgpool_inc");
        b.Add(new Pool2dSpec(PoolKind.Average, 3, 2, 1, 1, 1, 0, 1, 1, countIncludePad: false), "avgpool_exc");
        b.GlobalAvgPool("gap");
        b.Flatten("flatten");
        b.Dropout(0.3f, "dropout");
        b.Linear(6, bias: false, name: "fc_nobias");
        b.Relu6("relu6");
        b.Linear(5, name: "fc");
        b.Add(new SoftmaxSpec(), "softmax");
        return b.Build("all_layers");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Built_in_architecture_round_trips_to_the_same_graph_and_parameters(string architecture)
    {
        var model = OnnxFixtures.RandomModel(ArchitectureRegistry.Build(architecture, Small), seed: 7);
        var back = OnnxImporter.Import(OnnxExporter.Export(model), architecture);
        AssertSameModel(model, back);
    }

    [Fact]
    public void Model_with_every_layer_kind_round_trips_except_dropout()
    {
        var model = OnnxFixtures.RandomModel(AllLayersGraph(), seed: 3);
        var back = OnnxImporter.Import(OnnxExporter.Export(model).ToByteArray(), "all_layers");
        // Dropout is inference-only in ONNX, so it is not written; everything else comes back unchanged.
        var expected = model.Graph.Nodes.Where(n => n.Spec is not DropoutSpec).ToList();
        Assert.Equal(expected.Select(n => n.Name), back.Graph.Nodes.Select(n => n.Name));
        Assert.Equal(expected.Select(n => n.Spec), back.Graph.Nodes.Select(n => n.Spec));
        foreach (var (name, p) in model.Parameters) Assert.Equal(p.Span.ToArray(), back.Parameter(name).Span.ToArray());
    }

    [Theory]
    [InlineData("mobilenet_v1")]
    [InlineData("mobilenet_v2")]
    public void Exported_architecture_runs_in_onnx_runtime_with_a_symbolic_batch(string architecture)
    {
        var model = OnnxFixtures.RandomModel(ArchitectureRegistry.Build(architecture, Small), seed: 11);
        var proto = OnnxExporter.Export(model);
        Assert.Equal(OnnxExporter.Opset, proto.OpsetImport.Single().Version);
        Assert.Equal("batch", proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        foreach (int batch in new[] { 1, 3 })
        {
            var (output, shape) = OrtReference.Run(proto.ToByteArray(), OnnxFixtures.RandomInput(batch * 28 * 28, batch), [batch, 1, 28, 28]);
            Assert.Equal(new long[] { batch, 10 }, shape);
            Assert.All(output, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void Linear_after_pooling_without_flatten_gets_a_flatten_in_onnx()
    {
        var b = new GraphBuilder(new ActivationShape(3, 6, 6));
        b.Conv(4, 3, name: "conv");
        b.GlobalAvgPool("gap");
        b.Linear(2, name: "fc");
        var model = OnnxFixtures.RandomModel(b.Build("no_flatten"), 5);
        var proto = OnnxExporter.Export(model);
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Flatten");
        var (_, shape) = OrtReference.Run(proto.ToByteArray(), OnnxFixtures.RandomInput(2 * 3 * 36, 1), [2, 3, 6, 6]);
        Assert.Equal(new long[] { 2, 2 }, shape);
    }

    [Fact]
    public void Model_file_saves_atomically_and_keeps_metadata()
    {
        var model = OnnxFixtures.RandomModel(ReferenceCnn.Build(), seed: 2);
        string folder = Path.Combine(Path.GetTempPath(), "mixbit-modelfile-" + Guid.NewGuid().ToString("N"));
        string path = Path.Combine(folder, "sub", "model.onnx");
        try
        {
            var metadata = new Dictionary<string, string> { ["architecture"] = "reference_cnn", ["mean"] = "0.286", ["test_accuracy"] = "0.9012" };
            ModelFile.Save(model, path, metadata);
            ModelFile.Save(model, path, metadata); // overwrite in place
            Assert.Equal(["model.onnx"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
            var (back, readMetadata) = ModelFile.LoadWithMetadata(path);
            AssertSameModel(model, back);
            Assert.Equal(metadata.OrderBy(p => p.Key), readMetadata.OrderBy(p => p.Key));
            Assert.Empty(ModelFile.LoadWithMetadata(SaveWithout(model, folder)).Metadata);
        }
        finally { Directory.Delete(folder, recursive: true); }

        static string SaveWithout(Model m, string folder)
        {
            string p = Path.Combine(folder, "plain.onnx");
            ModelFile.Save(m, p);
            return p;
        }
    }

    [Fact]
    public void Missing_model_file_names_the_path()
    {
        var e = Assert.Throws<MixBitException>(() => ModelFile.Load("/nonexistent/folder/model.onnx"));
        Assert.Contains("/nonexistent/folder/model.onnx", e.Message);
    }

    internal static void AssertSameModel(Model expected, Model actual)
    {
        Assert.Equal(expected.Graph.InputShape, actual.Graph.InputShape);
        Assert.Equal(expected.Graph.Nodes.Select(n => n.Name), actual.Graph.Nodes.Select(n => n.Name));
        Assert.Equal(expected.Graph.Nodes.Select(n => n.Spec), actual.Graph.Nodes.Select(n => n.Spec));
        Assert.Equal(expected.Graph.Nodes.Select(n => string.Join(",", n.Inputs)), actual.Graph.Nodes.Select(n => string.Join(",", n.Inputs)));
        Assert.Equal(expected.Parameters.Keys.Order(), actual.Parameters.Keys.Order());
        foreach (var (name, p) in expected.Parameters)
        {
            var q = actual.Parameter(name);
            Assert.True(p.HasShape(q.Shape), $"{name}: {p.ShapeString} vs {q.ShapeString}");
            Assert.True(p.Span.SequenceEqual(q.Span), $"{name} differs");
        }
    }
}
