using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using Onnx;
using AttributeType = Onnx.AttributeProto.Types.AttributeType;

namespace MixBit.Models.Onnx;

/// <summary>
/// Writes a MixBit <see cref="Model"/> as an ONNX model (opset 13, IR version 8, readable by ONNX Runtime and by
/// onnx 1.12): input "input" [batch, C, H, W], output "output". ONNX node names are the layer names and
/// initializers the parameter names, so <see cref="OnnxImporter"/> gives back the same graph. Dropout is left
/// out (inference form); bounded ReLUs become Clip(x, 0, max).
/// </summary>
public static class OnnxExporter
{
    public const int Opset = 13;
    public const long IrVersion = 8;
    public const string InputName = "input";
    public const string OutputName = "output";
    public const string BatchDimension = "batch";

    public static ModelProto Export(Model model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var g = model.Graph;
        var graph = new GraphProto { Name = g.Name };
        graph.Input.Add(ValueInfo(InputName, [g.InputShape.Channels, g.InputShape.Height, g.InputShape.Width]));
        foreach (var (name, _, _) in g.AllParameters())
        {
            var t = model.Parameter(name);
            graph.Initializer.Add(OnnxTensors.FromFloats(name, t.Span, t.Shape));
        }

        var reserved = new HashSet<string>(g.AllParameters().Select(p => p.Name), StringComparer.Ordinal) { InputName, OutputName };
        foreach (var n in g.Nodes) { reserved.Add(n.Name + ".min"); reserved.Add(n.Name + ".max"); reserved.Add(n.Name + ".flat"); }
        var tensor = new string[g.Count];
        var rank = new int[g.Count];
        string In(int src) => src == ModelGraph.GraphInput ? InputName : tensor[src];
        int RankOf(int src) => src == ModelGraph.GraphInput ? 4 : rank[src];

        // Gemm and a flat Add need [N, features]; MixBit's C x 1 x 1 may still be 4-D in ONNX (after a pool).
        string Flat(GraphNode n, int src)
        {
            if (RankOf(src) == 2) return In(src);
            string flat = n.Name + ".flat";
            graph.Node.Add(Node("Flatten", n.Name + ".flatten", [In(src)], flat, Int("axis", 1)));
            return flat;
        }

        int last = g.Count - 1;
        for (int i = 0; i < g.Count; i++)
        {
            var n = g.Nodes[i];
            string output = i == last ? OutputName : reserved.Contains(n.Name) ? n.Name + ":out" : n.Name;
            tensor[i] = output;
            int x = n.Inputs[0];
            rank[i] = RankOf(x);
            switch (n.Spec)
            {
                case Conv2dSpec c:
                    Require4D(n, x);
                    graph.Node.Add(Node("Conv", n.Name,
                        c.HasBias ? [In(x), n.ParameterName("weight"), n.ParameterName("bias")] : [In(x), n.ParameterName("weight")], output,
                        Ints("kernel_shape", c.KernelH, c.KernelW), Ints("strides", c.StrideH, c.StrideW),
                        Ints("pads", c.PadTop, c.PadLeft, c.PadBottom, c.PadRight), Ints("dilations", c.DilationH, c.DilationW),
                        Int("group", c.Groups)));
                    break;
                case BatchNorm2dSpec b:
                    // ONNX momentum is the running statistics' share: 1 - MixBit's (PyTorch's) momentum.
                    graph.Node.Add(Node("BatchNormalization", n.Name,
                        [In(x), n.ParameterName("weight"), n.ParameterName("bias"), n.ParameterName("running_mean"), n.ParameterName("running_var")],
                        output, Float("epsilon", b.Epsilon), Float("momentum", 1f - b.Momentum)));
                    break;
                case ReluSpec { IsBounded: false }:
                    graph.Node.Add(Node("Relu", n.Name, [In(x)], output));
                    break;
                case ReluSpec r:
                    graph.Initializer.Add(OnnxTensors.FromFloats(n.Name + ".min", [0f], []));
                    graph.Initializer.Add(OnnxTensors.FromFloats(n.Name + ".max", [r.Max], []));
                    graph.Node.Add(Node("Clip", n.Name, [In(x), n.Name + ".min", n.Name + ".max"], output));
                    break;
                case AddSpec:
                    int y = n.Inputs[1];
                    if (RankOf(x) == RankOf(y)) graph.Node.Add(Node("Add", n.Name, [In(x), In(y)], output));
                    else
                    {
                        graph.Node.Add(Node("Add", n.Name, [Flat(n, x), RankOf(y) == 2 ? In(y) : Flat(n, y)], output));
                        rank[i] = 2;
                    }
                    break;
                case Pool2dSpec p:
                    Require4D(n, x);
                    var poolAttributes = new List<AttributeProto>
                    {
                        Ints("kernel_shape", p.KernelH, p.KernelW), Ints("strides", p.StrideH, p.StrideW),
                        Ints("pads", p.PadTop, p.PadLeft, p.PadBottom, p.PadRight),
                    };
                    if (p.Kind == PoolKind.Average) poolAttributes.Add(Int("count_include_pad", p.CountIncludePad ? 1 : 0));
                    graph.Node.Add(Node(p.Kind == PoolKind.Max ? "MaxPool" : "AveragePool", n.Name, [In(x)], output, [.. poolAttributes]));
                    break;
                case GlobalAvgPoolSpec:
                    Require4D(n, x);
                    graph.Node.Add(Node("GlobalAveragePool", n.Name, [In(x)], output));
                    break;
                case FlattenSpec:
                    graph.Node.Add(Node("Flatten", n.Name, [In(x)], output, Int("axis", 1)));
                    rank[i] = 2;
                    break;
                case LinearSpec l:
                    graph.Node.Add(Node("Gemm", n.Name,
                        l.HasBias ? [Flat(n, x), n.ParameterName("weight"), n.ParameterName("bias")] : [Flat(n, x), n.ParameterName("weight")],
                        output, Int("transB", 1)));
                    rank[i] = 2;
                    break;
                case SoftmaxSpec:
                    // Axis 1 is the feature axis of [N, F] and of [N, C, 1, 1] alike.
                    graph.Node.Add(Node("Softmax", n.Name, [In(x)], output, Int("axis", 1)));
                    break;
                case DropoutSpec:
                    // Inference form: consumers read the input. As the last layer it still has to produce "output".
                    if (i == last) graph.Node.Add(Node("Identity", n.Name, [In(x)], output));
                    else tensor[i] = In(x);
                    break;
                default:
                    throw new ModelException($"Layer '{n.Name}' ({n.Spec.OpName}) has no ONNX form in MixBit's exporter.");
            }
        }

        var outShape = g.OutputShape;
        graph.Output.Add(ValueInfo(OutputName, rank[last] == 2 ? [outShape.Elements] : [outShape.Channels, outShape.Height, outShape.Width]));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MixBit",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        if (metadata is not null)
            foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;

        void Require4D(GraphNode n, int src)
        {
            if (RankOf(src) != 4)
                throw new ModelException($"Layer '{n.Name}' ({n.Spec.OpName}) reads a flattened tensor; ONNX needs an NCHW input for it, so it cannot be exported.");
        }
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    internal static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    private static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    internal static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float tensor value with a symbolic batch dimension followed by <paramref name="dims"/>.</summary>
    private static ValueInfoProto ValueInfo(string name, int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        foreach (int d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
