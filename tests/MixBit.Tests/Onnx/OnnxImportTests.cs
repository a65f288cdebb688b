using Google.Protobuf;
using MixBit.Models.Architectures;
using MixBit.Models.Onnx;
using MixBit.Nn.Specs;
using Onnx;

namespace MixBit.Tests.Onnx;

public class OnnxImportTests
{
    private const float Tolerance = 1e-4f;

    [Fact]
    public void Pytorch_reference_cnn_imports_as_the_built_in_reference_cnn()
    {
        var model = OnnxImporter.Import(OnnxFixtures.Onnx("reference_cnn"), "reference_cnn.onnx");
        var expected = ReferenceCnn.Build();
        Assert.Equal(expected.Nodes.Select(n => n.Spec), model.Graph.Nodes.Select(n => n.Spec));
        Assert.Equal(expected.Nodes.Select(n => string.Join(",", n.Inputs)), model.Graph.Nodes.Select(n => string.Join(",", n.Inputs)));
        Assert.Equal(18_826, model.Graph.TrainableParameterCount);
        // Names are the ONNX node names; parameters follow the layer specs' suffixes.
        Assert.Equal("/features/features.0/Conv", model.Graph.Nodes[0].Name);
        Assert.Equal([16, 1, 3, 3], model.Parameter("/features/features.0/Conv.weight").Shape.ToArray());
        Assert.Equal([16], model.Parameter("/features/features.1/BatchNormalization.running_var").Shape.ToArray());
        Assert.Equal([10, 128], model.Parameter("/classifier/Gemm.weight").Shape.ToArray());
    }

    [Fact]
    public void Pytorch_mobilenet_v2_style_network_keeps_its_residual_adds()
    {
        var model = OnnxImporter.Import(OnnxFixtures.Onnx("mobilenet_v2_small"), "mobilenet_v2_small.onnx");
        var g = model.Graph;
        var adds = Enumerable.Range(0, g.Count).Where(i => g.Nodes[i].Spec is AddSpec).ToList();
        Assert.Equal(3, adds.Count); // blocks (1,16,1), (4,24,1), (4,32,1) have a skip connection
        foreach (int i in adds)
        {
            int skip = g.Nodes[i].Inputs[0], body = g.Nodes[i].Inputs[1];
            Assert.IsType<BatchNorm2dSpec>(g.Nodes[body].Spec); // the linear bottleneck's BN
            Assert.True(skip < body - 3, "the skip connection reads the block input"); // expand, dw, project: >= 6 layers
            Assert.Equal(g.ShapeOf(skip), g.ShapeOf(body));
        }
        Assert.Equal(new ActivationShape(10, 1, 1), g.OutputShape);

        var folded = OnnxImporter.Import(OnnxFixtures.Onnx("mobilenet_v2_small_folded"), "folded").Graph;
        Assert.DoesNotContain(folded.Nodes, n => n.Spec is BatchNorm2dSpec);
        Assert.All(folded.Nodes.Select(n => n.Spec).OfType<Conv2dSpec>(), c => Assert.True(c.HasBias));
        Assert.Equal(3, folded.Nodes.Count(n => n.Spec is AddSpec));
    }

    [Fact]
    public void Pytorch_opset_10_model_with_pools_matmul_dropout_and_softmax_imports()
    {
        var g = OnnxImporter.Import(OnnxFixtures.Onnx("tiny_pool"), "tiny_pool.onnx").Graph;
        // Relu + Clip(max=6) became one ReLU6; Dropout and Identity are gone; MatMul + Add is one linear with bias.
        Assert.Equal(["conv", "relu", "maxpool", "conv", "relu6", "avgpool", "flatten", "linear", "relu", "linear", "softmax"],
            g.Nodes.Select(n => n.Spec.OpName));
        var avg = Assert.IsType<Pool2dSpec>(g.Nodes[5].Spec);
        Assert.Equal((1, 1, 1, 1, false), (avg.PadTop, avg.PadLeft, avg.PadBottom, avg.PadRight, avg.CountIncludePad));
        Assert.Equal(new LinearSpec(32, 10, hasBias: true), g.Nodes[9].Spec);
        Assert.Equal("/MatMul", g.Nodes[9].Name);
    }

    [Theory]
    [InlineData("SAME_UPPER", 2, 0, 1, 1)]  // 8x7 input, k3 s2: H total 1 (odd pixel at the end), W total 2
    [InlineData("SAME_LOWER", 2, 1, 0, 1)]
    [InlineData("VALID", 2, 0, 0, 0)]
    [InlineData("SAME_UPPER", 1, 1, 1, 1)]
    public void Conv_auto_pad_gives_onnx_runtime_outputs(string autoPad, int stride, int top, int bottom, int left)
    {
        var s = new OnnxSketch(13, 2, 8, 7);
        var y = s.Node("Conv", "conv", ["x", s.Weight("w", [4, 2, 3, 3]), s.Weight("b", [4])],
            ("auto_pad", autoPad), ("strides", new[] { stride, stride }));
        var proto = s.Build(s.Node("Relu", "relu", [y]));
        var conv = Assert.IsType<Conv2dSpec>(OnnxImporter.Import(proto, "sketch").Graph.Nodes[0].Spec);
        Assert.Equal((top, bottom, left), (conv.PadTop, conv.PadBottom, conv.PadLeft));
        AssertMatchesOrt(proto, s.InputShape(2));
    }

    [Fact]
    public void Grouped_dilated_conv_with_asymmetric_pads_and_transposed_gemm_match_onnx_runtime()
    {
        var s = new OnnxSketch(11, 4, 9, 10);
        var y = s.Node("Conv", "conv", ["x", s.Weight("w", [6, 2, 3, 2])],
            ("group", 2), ("pads", new[] { 0, 2, 1, 0 }), ("dilations", new[] { 2, 1 }), ("strides", new[] { 1, 2 }));
        y = s.Node("BatchNormalization", "bn", [y, s.Weight("g", [6], 0.5f, 1.5f), s.Weight("beta", [6]), s.Weight("m", [6]), s.Weight("v", [6], 0.5f, 2f)],
            ("epsilon", 1e-3f));
        y = s.Node("Clip", "clip", [y, s.Weight("lo", [], values: [0f]), s.Weight("hi", [], values: [1.5f])]);
        y = s.Node("MaxPool", "pool", [y], ("kernel_shape", new[] { 2, 2 }), ("auto_pad", "SAME_UPPER"), ("strides", new[] { 2, 2 }));
        y = s.Node("Flatten", "flat", [y], ("axis", 1));
        y = s.Node("Gemm", "fc", [y, s.Weight("fcw", [6 * 3 * 3, 5]), s.Weight("fcb", [5])], ("transB", 0));
        var proto = s.Build(y);
        var g = OnnxImporter.Import(proto, "sketch").Graph;
        Assert.Equal(new ReluSpec(1.5f), g.Nodes[2].Spec);
        Assert.Equal(1e-3f, Assert.IsType<BatchNorm2dSpec>(g.Nodes[1].Spec).Epsilon);
        AssertMatchesOrt(proto, s.InputShape(2));
    }

    [Fact]
    public void Opset_9_clip_attributes_constant_node_reshape_and_matmul_add_import()
    {
        var s = new OnnxSketch(9, 3, 6, 6);
        var y = s.Node("Conv", "", ["x", s.Weight("w", [4, 3, 3, 3])], ("pads", new[] { 1, 1, 1, 1 }));
        y = s.Node("Clip", "", [y], ("min", 0f), ("max", 6f));
        y = s.Node("AveragePool", "", [y], ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }));
        var shape = s.Node("Constant", "", [], ("value", OnnxTensors.FromInt64s("", [0, -1], [2])));
        y = s.Node("Reshape", "", [y, shape]);
        y = s.Node("MatMul", "", [y, s.Weight("mw", [36, 7])]);
        y = s.Node("Add", "", [s.Weight("mb", [7]), y]);
        y = s.Node("Softmax", "", [y]);
        var proto = s.Build(y);
        var g = OnnxImporter.Import(proto, "sketch").Graph;
        // Unnamed nodes are named after their op and position in the file.
        Assert.Equal(["Conv_0", "Clip_1", "AveragePool_2", "Reshape_4", "MatMul_5", "Softmax_7"], g.Nodes.Select(n => n.Name));
        Assert.Equal(["conv", "relu6", "avgpool", "flatten", "linear", "softmax"], g.Nodes.Select(n => n.Spec.OpName));
        Assert.Equal(new LinearSpec(36, 7, hasBias: true), g.Nodes[4].Spec);
        AssertMatchesOrt(proto, s.InputShape(3));
    }

    [Fact]
    public void Unsorted_nodes_are_sorted_and_duplicate_names_made_unique()
    {
        var s = new OnnxSketch(13, 1, 5, 5);
        var y = s.Node("Conv", "layer", ["x", s.Weight("w", [2, 1, 3, 3])]);
        y = s.Node("Relu", "layer", [y]);
        y = s.Node("GlobalAveragePool", "layer", [y]);
        var sorted = OnnxImporter.Import(s.Build(y), "sorted").Graph;
        var reversed = OnnxImporter.Import(s.Build(y, reverseNodes: true), "reversed").Graph;
        Assert.Equal(["layer", "layer_2", "layer_3"], sorted.Nodes.Select(n => n.Name));
        Assert.Equal(sorted.Nodes.Select(n => n.Spec), reversed.Nodes.Select(n => n.Spec));
        Assert.Equal(["conv", "relu", "gap"], reversed.Nodes.Select(n => n.Spec.OpName));
    }

    [Fact]
    public void Gemm_alpha_beta_and_float_data_initializers_are_applied()
    {
        var s = new OnnxSketch(13, 2, 2, 2);
        var w = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float };
        w.Dims.AddRange([3L, 8L]);
        w.FloatData.AddRange(Enumerable.Range(0, 24).Select(i => (i % 7 - 3) * 0.1f));
        s.Raw(w);
        var y = s.Node("Flatten", "f", ["x"]);
        y = s.Node("Gemm", "fc", [y, "w", s.Weight("c", [3])], ("transB", 1), ("alpha", 0.5f), ("beta", 2f));
        var proto = s.Build(y);
        AssertMatchesOrt(proto, s.InputShape(2));
    }

    private static void AssertMatchesOrt(ModelProto proto, int[] inputShape)
    {
        var model = OnnxImporter.Import(proto, "sketch");
        var input = OnnxFixtures.RandomInput(inputShape.Aggregate(1, (a, b) => a * b), seed: 13);
        var (ort, _) = OrtReference.Run(proto.ToByteArray(), input, inputShape);
        float diff = OnnxFixtures.MaxAbsDiff(ort, MixBitReference.Run(model, input, inputShape));
        Assert.True(diff <= Tolerance, $"max |MixBit - ORT| = {diff}");
    }
}
