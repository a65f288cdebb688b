using Google.Protobuf;
using MixBit.Cli.Commands;
using MixBit.Models;
using MixBit.Models.Onnx;
using Onnx;
using Spectre.Console;

namespace MixBit.Tests.Onnx;

/// <summary>Every file MixBit cannot read gives an <see cref="OnnxImportException"/> with one clear sentence, never a crash.</summary>
public class OnnxImportErrorTests
{
    private static OnnxImportException Fails(ModelProto proto) => Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(proto.ToByteArray(), "m.onnx"));

    [Fact]
    public void Truncated_file_is_not_a_valid_onnx_model()
    {
        var e = Assert.Throws<OnnxImportException>(() => ModelFile.Load(OnnxFixtures.PathOf("corrupt.onnx")));
        Assert.StartsWith($"{OnnxFixtures.PathOf("corrupt.onnx")} is not a valid ONNX model (", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("this is a text file, not a model\n")]
    [InlineData("\u0008\u0007\u0012\u0002ab")] // a well-formed protobuf without a graph
    public void Empty_text_or_graphless_input_is_not_a_valid_onnx_model(string content)
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(System.Text.Encoding.UTF8.GetBytes(content), "x.onnx"));
        Assert.StartsWith("x.onnx is not a valid ONNX model (", e.Message);
    }

    [Fact]
    public void Every_prefix_of_a_model_fails_cleanly()
    {
        var bytes = OnnxFixtures.Onnx("unsupported_sigmoid");
        for (int n = 0; n < bytes.Length; n += 7)
        {
            var prefix = bytes.AsSpan(0, n).ToArray();
            Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(prefix, "cut.onnx"));
        }
    }

    [Fact]
    public void Unsupported_operator_names_the_op_the_node_and_the_supported_ops()
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxFixtures.Onnx("unsupported_sigmoid"), "sig.onnx"));
        Assert.Contains("operator Sigmoid is not supported", e.Message);
        Assert.Contains("'/Sigmoid'", e.Message);
        foreach (var op in OnnxImporter.SupportedOps) Assert.Contains(op, e.Message);
    }

    [Fact]
    public void Ceil_mode_dilated_pooling_and_clip_min_are_refused_with_the_setting()
    {
        Assert.Contains("ceil_mode=1", Fails(Single("MaxPool", ("kernel_shape", new[] { 2, 2 }), ("ceil_mode", 1))).Message);
        Assert.Contains("dilated pooling", Fails(Single("MaxPool", ("kernel_shape", new[] { 2, 2 }), ("dilations", new[] { 2, 2 }))).Message);
        Assert.Contains("auto_pad=BOGUS", Fails(Single("AveragePool", ("kernel_shape", new[] { 2, 2 }), ("auto_pad", "BOGUS"))).Message);

        var s = new OnnxSketch(13, 1, 4, 4);
        var clip = s.Node("Clip", "clip", ["x", s.Weight("lo", [], values: [-1f]), s.Weight("hi", [], values: [1f])]);
        var e = Fails(s.Build(clip));
        Assert.Contains("node 'clip' (Clip)", e.Message);
        Assert.Contains("min=0", e.Message);
    }

    [Fact]
    public void Non_float_and_missing_initializers_are_named()
    {
        var s = new OnnxSketch(13, 1, 4, 4);
        var w = new TensorProto { Name = "w8", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(new byte[9]) };
        w.Dims.AddRange([1L, 1, 3, 3]);
        s.Raw(w);
        var e = Fails(s.Build(s.Node("Conv", "conv", ["x", "w8"])));
        Assert.Contains("'w8' has data type INT8", e.Message);

        var t = new OnnxSketch(13, 1, 4, 4);
        e = Fails(t.Build(t.Node("Conv", "conv", ["x", "nowhere"])));
        Assert.Contains("'nowhere'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Opset_outside_9_to_21_and_non_image_inputs_are_refused()
    {
        var old = new OnnxSketch(8, 1, 4, 4);
        Assert.Contains("opset 8", Fails(old.Build(old.Node("Relu", "r", ["x"]))).Message);

        var s = new OnnxSketch(13, 1, 4, 4);
        var proto = s.Build(s.Node("Relu", "r", ["x"]));
        proto.Graph.Input[0].Type.TensorType.Shape.Dim.RemoveAt(3);
        Assert.Contains("[N, C, H, W]", Fails(proto).Message);
    }

    [Fact]
    public void Unsupported_reshape_softmax_and_constant_add_say_what_is_supported()
    {
        var s = new OnnxSketch(13, 2, 3, 3);
        Assert.Contains("Reshape only to [batch, features]", Fails(s.Build(s.Node("Reshape", "r", ["x", s.Int64s("shape", 0, 3, 6)]))).Message);
        var t = new OnnxSketch(13, 2, 3, 3);
        Assert.Contains("Softmax over the features", Fails(t.Build(t.Node("Softmax", "sm", ["x"]))).Message);
        var u = new OnnxSketch(13, 2, 3, 3);
        Assert.Contains("bias right after a MatMul", Fails(u.Build(u.Node("Add", "a", ["x", u.Weight("k", [2, 1, 1])]))).Message);
    }

    [Fact]
    public void Inspect_prints_the_layer_table_or_the_reason_with_exit_code_2()
    {
        var ok = new StringWriter();
        Assert.Equal(0, InspectCommand.Run(OnnxFixtures.PathOf("reference_cnn.onnx"), Console(ok), Console(new StringWriter())));
        Assert.Contains("/classifier/Gemm", ok.ToString());
        Assert.Contains("726,432", ok.ToString()); // MACs of the reference CNN, TOOLCHAIN.md's "726k"
        Assert.Contains("can quantize", ok.ToString());

        var (table, bad) = (new StringWriter(), new StringWriter());
        Assert.Equal(2, InspectCommand.Run(OnnxFixtures.PathOf("unsupported_sigmoid.onnx"), Console(table), Console(bad)));
        Assert.Contains("cannot quantize", bad.ToString());
        Assert.Contains("Sigmoid", bad.ToString());
        Assert.Equal("", table.ToString()); // the reason is an error (stderr), not a result

        var missing = new StringWriter();
        Assert.Equal(2, InspectCommand.Run("/nonexistent/model.onnx", Console(new StringWriter()), Console(missing)));
        Assert.Contains("/nonexistent/model.onnx", missing.ToString());

        static IAnsiConsole Console(StringWriter w)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(w), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
            });
            console.Profile.Width = 200;
            return console;
        }
    }

    private static ModelProto Single(string op, params (string, object)[] attributes)
    {
        var s = new OnnxSketch(13, 1, 6, 6);
        return s.Build(s.Node(op, "n", ["x"], attributes));
    }
}
