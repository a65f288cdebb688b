using Google.Protobuf;
using MixBit.Integer;
using MixBit.Memory;
using Onnx;
using static MixBit.Models.Onnx.OnnxExporter;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MixBit.Models.Onnx;

/// <summary>
/// Writes a <see cref="QuantizedModel"/> as a QDQ ONNX model (opset 21, IR version 10) that ONNX Runtime runs, so its
/// numbers can be checked with a runtime users trust. Input "input": the raw pixels as uint8 [batch, C, H, W]; output
/// "output": the dequantized int8 logits as float [batch, classes]. Every tensor is QuantizeLinear'd on its grid (INT8 or
/// UINT8; a 2- or 4-bit activation sits in the 8-bit container and a Clip on the codes keeps it in its range, as does a
/// fused ReLU6) and DequantizeLinear'd before each op that reads it. Weights are the stored integer codes in ONNX's OIHW
/// order: INT4 (opset 21) at 4 bits, INT8 with values in [-1, 1] at 2 bits, and at 8 bits UINT8 code + 128 with zero point
/// 128 (see <c>WeightContainer</c>); per output channel their
/// scale is the one the device effectively applies, s_w[c] = M[c] * s_out / s_in with M = M0 * 2^-n, so a kept
/// BatchNorm (ICN) is inside it; biases are INT32 with scale s_in * s_w[c]. A Linear reads its input in NCHW order,
/// so its columns go back from the stored HWC order to CHW.
/// </summary>
public static class QdqExporter
{
    public const int Opset = 21;
    public const long IrVersion = 10;
    public const string InputName = "input";
    public const string OutputName = "output";

    /// <param name="int8Weights">Store 8-bit weights as INT8 (the common QDQ form) instead of UINT8 + 128: ONNX Runtime
    /// then runs its faster uint8 x int8 kernels, whose saturating int16 pairs can round differently (for speed comparisons).</param>
    public static ModelProto Export(QuantizedModel model, bool int8Weights = false)
    {
        var b = new Builder(model, int8Weights);
        b.Run();
        var proto = new ModelProto { IrVersion = IrVersion, ProducerName = "MixBit", Graph = b.Graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in model.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    public static void Save(QuantizedModel model, string path)
    {
        byte[] bytes = Export(model).ToByteArray();
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    private sealed class Builder(QuantizedModel model, bool int8Weights)
    {
        private readonly int[] _rank = Enumerable.Repeat(4, model.Tensors.Length).ToArray();
        private int _nodes;

        public GraphProto Graph { get; } = new() { Name = model.Name + "_qdq" };

        public void Run()
        {
            var input = model.Input;
            Graph.Input.Add(ValueInfo(InputName, DataType.Uint8, [input.Channels, input.Height, input.Width]));
            foreach (var t in model.Tensors)
            {
                Graph.Initializer.Add(Scalar($"s{t.Id}", DataType.Float, BitConverter.SingleToInt32Bits((float)t.Scale)));
                Graph.Initializer.Add(Scalar($"z{t.Id}", Container(t), t.ZeroPoint));
            }
            for (int o = 0; o < model.Ops.Length; o++)
            {
                switch (model.Ops[o])
                {
                    case QuantizedLayer l: Layer(o, l); break;
                    case QuantizedAdd a: Add(o, a); break;
                    case QuantizedAveragePool p: AveragePool(o, p); break;
                    case QuantizedMaxPool m:
                        Node("MaxPool", [Dequantized(m.Input, o)], Float(m.Output), WindowAttributes(m.Window));
                        Quantize(m.Output, model.Tensors[m.Output].Min, model.Tensors[m.Output].Max);
                        break;
                }
            }
            var output = model.Output;
            string logits = Flat(Q(output.Id), output.Id);
            Node("DequantizeLinear", [logits, $"s{output.Id}", $"z{output.Id}"], OutputName);
            Graph.Output.Add(ValueInfo(OutputName, DataType.Float, [output.Elements]));
        }

        private void Layer(int o, QuantizedLayer l)
        {
            var input = model.Tensors[l.Input];
            var output = model.Tensors[l.Output];
            // The scale of weight channel c as the device applies it: M[c] * s_out / s_in.
            var weightScale = l.Multipliers.Select(m => (float)(m.Real * output.Scale / input.Scale)).ToArray();
            var biasScale = weightScale.Select(s => (float)(s * input.Scale)).ToArray();
            var (codes, dims) = OnnxWeights(l, input);
            var (weightType, weightZero) = WeightContainer(l.WeightBits);
            string w = $"w{o}", bias = $"b{o}";
            Graph.Initializer.Add(Codes(w + ".q", weightType, codes.Select(c => c + weightZero).ToArray(), dims));
            Graph.Initializer.Add(Floats(w + ".s", weightScale));
            Graph.Initializer.Add(Codes(w + ".z", weightType, Enumerable.Repeat(weightZero, l.OutChannels).ToArray(), [l.OutChannels]));
            Graph.Initializer.Add(Int32s(bias + ".q", l.Bias));
            Graph.Initializer.Add(Floats(bias + ".s", biasScale));
            Graph.Initializer.Add(Int32s(bias + ".z", new int[l.OutChannels]));
            Node("DequantizeLinear", [w + ".q", w + ".s", w + ".z"], w, Int("axis", 0));
            Node("DequantizeLinear", [bias + ".q", bias + ".s", bias + ".z"], bias, Int("axis", 0));
            if (l.Kind == DeployedOpKind.Linear)
            {
                string flat = Flat(Q(l.Input), l.Input);
                string x = NewName($"dq{l.Input}");
                Node("DequantizeLinear", [flat, $"s{l.Input}", $"z{l.Input}"], x);
                Node("Gemm", [x, w, bias], Float(l.Output), Int("transB", 1));
                _rank[l.Output] = 2;
            }
            else
            {
                var attributes = WindowAttributes(l.Window!).Append(Ints("dilations", l.Window!.DilationH, l.Window.DilationW))
                    .Append(Int("group", l.IsDepthwise ? l.OutChannels : l.Groups)).ToArray();
                Node("Conv", [Dequantized(l.Input, o), w, bias], Float(l.Output), attributes);
            }
            Quantize(l.Output, l.ActivationMin, l.ActivationMax);
        }

        /// <summary>
        /// The ONNX type of b-bit weight codes and the zero point added to them: 4 bits INT4; 2 bits INT8 (values in
        /// [-1, 1]); 8 bits UINT8 holding code + 128 with zero point 128, the same real values, because ONNX Runtime's
        /// AVX2 uint8 x int8 kernels add pairs of products in saturating int16 (255 * 127 * 2 &gt; 32767) and so can
        /// round differently, while its uint8 x uint8 kernels are exact.
        /// </summary>
        private (DataType Type, int ZeroPoint) WeightContainer(int bits) => bits switch
        {
            4 => (DataType.Int4, 0),
            2 => (DataType.Int8, 0),
            _ => int8Weights ? (DataType.Int8, 0) : (DataType.Uint8, 128),
        };

        /// <summary>The stored codes in ONNX's weight order: OIHW ([c][1][kh][kw] depthwise), Linear [out][in] with CHW columns.</summary>
        private static (int[] Codes, int[] Dims) OnnxWeights(QuantizedLayer l, QuantizedTensor input)
        {
            var stored = l.WeightCodes();
            var codes = new int[stored.Length];
            if (l.Kind == DeployedOpKind.Linear)
            {
                int hw = input.Height * input.Width, ch = input.Channels, features = input.Elements;
                for (int o = 0; o < l.OutChannels; o++)
                    for (int c = 0; c < ch; c++)
                        for (int p = 0; p < hw; p++) codes[o * features + c * hw + p] = stored[o * features + p * ch + c];
                return (codes, [l.OutChannels, features]);
            }
            var win = l.Window!;
            int taps = win.Taps;
            if (l.IsDepthwise)
            {
                for (int c = 0; c < l.OutChannels; c++)
                    for (int t = 0; t < taps; t++) codes[c * taps + t] = stored[t * l.OutChannels + c];
                return (codes, [l.OutChannels, 1, win.KernelH, win.KernelW]);
            }
            int inPer = l.InChannelsPerGroup;
            for (int o = 0; o < l.OutChannels; o++)
                for (int i = 0; i < inPer; i++)
                    for (int t = 0; t < taps; t++) codes[(o * inPer + i) * taps + t] = stored[(o * taps + t) * inPer + i];
            return (codes, [l.OutChannels, inPer, win.KernelH, win.KernelW]);
        }

        private void Add(int o, QuantizedAdd a)
        {
            bool flat = _rank[a.InputA] != _rank[a.InputB];
            string Input(int t) => flat ? DequantizedFlat(t) : Dequantized(t, o);
            Node("Add", [Input(a.InputA), Input(a.InputB)], Float(a.Output));
            if (flat) _rank[a.Output] = 2;
            Quantize(a.Output, a.ActivationMin, a.ActivationMax);
        }

        private void AveragePool(int o, QuantizedAveragePool p)
        {
            if (p.Kind == DeployedOpKind.GlobalAvgPool) Node("GlobalAveragePool", [Dequantized(p.Input, o)], Float(p.Output));
            else Node("AveragePool", [Dequantized(p.Input, o)], Float(p.Output), [.. WindowAttributes(p.Window), Int("count_include_pad", 1)]);
            Quantize(p.Output, p.ActivationMin, p.ActivationMax);
        }

        /// <summary>QuantizeLinear of the op's float output on its tensor's grid; a Clip on the codes when [min, max] is narrower than the 8-bit container.</summary>
        private void Quantize(int t, int min, int max)
        {
            var tensor = model.Tensors[t];
            var type = Container(tensor);
            bool clip = min > (tensor.Signed ? sbyte.MinValue : byte.MinValue) || max < (tensor.Signed ? sbyte.MaxValue : byte.MaxValue);
            string q = clip ? $"q{t}.unclipped" : Q(t);
            Node("QuantizeLinear", [Float(t), $"s{t}", $"z{t}"], q);
            if (!clip) return;
            Graph.Initializer.Add(Scalar($"q{t}.min", type, min));
            Graph.Initializer.Add(Scalar($"q{t}.max", type, max));
            Node("Clip", [q, $"q{t}.min", $"q{t}.max"], Q(t));
        }

        private string Dequantized(int t, int op)
        {
            string name = NewName($"dq{t}_op{op}");
            Node("DequantizeLinear", [Q(t), $"s{t}", $"z{t}"], name);
            return name;
        }

        private string DequantizedFlat(int t)
        {
            string name = NewName($"dq{t}");
            Node("DequantizeLinear", [Flat(Q(t), t), $"s{t}", $"z{t}"], name);
            return name;
        }

        /// <summary>[N, C, H, W] codes as [N, C * H * W] (NCHW order); rank-2 tensors as they are.</summary>
        private string Flat(string codes, int t)
        {
            if (_rank[t] == 2) return codes;
            string name = NewName($"{codes}.flat");
            Node("Flatten", [codes], name, Int("axis", 1));
            return name;
        }

        private string Q(int t) => t == 0 ? InputName : $"q{t}";
        private static string Float(int t) => $"f{t}";
        private string NewName(string stem) => $"{stem}.{_nodes}";

        private static DataType Container(QuantizedTensor t) => t.Signed ? DataType.Int8 : DataType.Uint8;

        private void Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = $"{op}_{_nodes++}" };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            Graph.Node.Add(node);
        }
    }

    private static AttributeProto[] WindowAttributes(KernelWindow w) =>
    [
        Ints("kernel_shape", w.KernelH, w.KernelW), Ints("strides", w.StrideH, w.StrideW),
        Ints("pads", w.PadTop, w.PadLeft, w.PadBottom, w.PadRight),
    ];

    /// <summary>A scalar of <paramref name="type"/> (a float given as its bits).</summary>
    private static TensorProto Scalar(string name, DataType type, int value) => Tensor(name, type, type switch
    {
        DataType.Float => BitConverter.GetBytes(value),
        DataType.Int8 => [(byte)(sbyte)value],
        DataType.Uint8 => [(byte)value],
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    }, []);

    /// <summary>INT8/UINT8 codes one per byte; INT4 codes two per byte, low nibble first (ONNX's packing, and MixBit's).</summary>
    private static TensorProto Codes(string name, DataType type, int[] codes, int[] dims) => Tensor(name, type, type switch
    {
        DataType.Int4 => BitPacking.Pack(codes, 4, signed: true),
        DataType.Uint8 => codes.Select(c => checked((byte)c)).ToArray(),
        _ => codes.Select(c => (byte)checked((sbyte)c)).ToArray(),
    }, dims);

    private static TensorProto Floats(string name, float[] values)
        => Tensor(name, DataType.Float, values.SelectMany(v => BitConverter.GetBytes(v)).ToArray(), [values.Length]);

    private static TensorProto Int32s(string name, int[] values)
        => Tensor(name, DataType.Int32, values.SelectMany(v => BitConverter.GetBytes(v)).ToArray(), [values.Length]);

    /// <summary>A tensor with its data in raw_data (ONNX: little-endian, as BitConverter writes on the machines .NET runs MixBit on).</summary>
    private static TensorProto Tensor(string name, DataType type, byte[] raw, int[] dims)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The QDQ exporter writes little-endian raw data.");
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        foreach (int d in dims) t.Dims.Add(d);
        return t;
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (int d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
