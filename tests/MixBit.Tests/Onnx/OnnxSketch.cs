using Google.Protobuf;
using MixBit.Models.Onnx;
using Onnx;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace MixBit.Tests.Onnx;

/// <summary>
/// Builds small ONNX models by hand for the cases PyTorch does not write (auto_pad, asymmetric pads, Clip
/// attributes, Constant nodes, unsorted or unnamed nodes) and for the error cases. Node outputs are named after
/// the node; the last node's output is the graph output.
/// </summary>
internal sealed class OnnxSketch
{
    private readonly GraphProto _graph = new() { Name = "sketch" };
    private readonly int _opset;
    private readonly Random _rng;
    private int _count;

    public OnnxSketch(int opset, int channels, int height, int width, int seed = 1)
    {
        _opset = opset;
        _rng = new Random(seed);
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (int d in new[] { channels, height, width }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        _graph.Input.Add(new ValueInfoProto
        {
            Name = "x",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        });
    }

    public int[] InputShape(int batch)
    {
        var d = _graph.Input[0].Type.TensorType.Shape.Dim;
        return [batch, (int)d[1].DimValue, (int)d[2].DimValue, (int)d[3].DimValue];
    }

    /// <summary>A float initializer with uniform random values in [lo, hi) (or the given values).</summary>
    public string Weight(string name, int[] dims, float lo = -0.5f, float hi = 0.5f, float[]? values = null)
    {
        int count = dims.Aggregate(1, (a, b) => a * b);
        values ??= Enumerable.Range(0, count).Select(_ => (float)(lo + _rng.NextDouble() * (hi - lo))).ToArray();
        _graph.Initializer.Add(OnnxTensors.FromFloats(name, values, dims));
        return name;
    }

    public string Int64s(string name, params long[] values)
    {
        _graph.Initializer.Add(OnnxTensors.FromInt64s(name, values, [values.Length]));
        return name;
    }

    public void Raw(TensorProto initializer) => _graph.Initializer.Add(initializer);

    /// <summary>Adds a node; attribute values: int/long, float, string, int[]/long[], TensorProto.</summary>
    public string Node(string op, string? name, string[] inputs, params (string Name, object Value)[] attributes)
    {
        string output = $"{(name is { Length: > 0 } ? name : op)}{_count}_out";
        _count++;
        var node = new NodeProto { OpType = op, Name = name ?? "" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (key, value) in attributes) node.Attribute.Add(Attribute(key, value));
        _graph.Node.Add(node);
        return output;
    }

    public ModelProto Build(string output, bool reverseNodes = false)
    {
        var graph = _graph.Clone();
        if (reverseNodes)
        {
            var nodes = graph.Node.Reverse().ToList();
            graph.Node.Clear();
            graph.Node.AddRange(nodes);
        }
        graph.Output.Add(new ValueInfoProto
        {
            Name = output,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        var model = new ModelProto { IrVersion = 7, ProducerName = "MixBit.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        return model;
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case int or long: a.Type = AttributeType.Int; a.I = Convert.ToInt64(value); break;
            case float f: a.Type = AttributeType.Float; a.F = f; break;
            case string s: a.Type = AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case int[] ints: a.Type = AttributeType.Ints; a.Ints.AddRange(ints.Select(i => (long)i)); break;
            case long[] longs: a.Type = AttributeType.Ints; a.Ints.AddRange(longs); break;
            case TensorProto t: a.Type = AttributeType.Tensor; a.T = t; break;
            default: throw new ArgumentException($"Unsupported attribute type {value.GetType()}.");
        }
        return a;
    }
}
