using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Tensors;
using Onnx;

namespace MixBit.Models.Onnx;

/// <summary>
/// One import: walks the ONNX nodes in topological order and emits MixBit layers. ONNX tensors are either
/// activations (computed from the input; 4-D NCHW or 2-D [N, features]) or constants (initializers and Constant
/// nodes, used as weights, shapes and clip bounds). Layer names are the ONNX node names; parameters are
/// "&lt;node&gt;.&lt;suffix&gt;" as the layer specs name them.
/// </summary>
internal sealed class OnnxGraphReader
{
    /// <summary>An activation tensor: the MixBit node computing it (<see cref="ModelGraph.GraphInput"/> for the input) and its ONNX rank.</summary>
    private readonly record struct Activation(int Node, int Rank);

    private readonly GraphProto _graph;
    private readonly string _source;
    private readonly int _opset;
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Activation> _activations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _consumerCount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs = new(StringComparer.Ordinal);
    private readonly Dictionary<NodeProto, int> _fusedAdds = new(ReferenceEqualityComparer.Instance);
    private readonly List<GraphNode> _nodes = [];
    private readonly List<ActivationShape> _shapes = [];
    private readonly List<string> _emittedTensor = [];
    private readonly Dictionary<string, Tensor> _parameters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private ActivationShape _inputShape;

    public OnnxGraphReader(ModelProto proto, string source)
    {
        _graph = proto.Graph;
        _source = source;
        _opset = OnnxImporter.OpsetOf(proto, source);
    }

    public Model Read()
    {
        foreach (var init in _graph.Initializer) _constants[init.Name] = init;
        ReadInput();
        if (_graph.Output.Count != 1)
            throw new OnnxImportException($"{_source} has {_graph.Output.Count} outputs; MixBit imports classifiers with exactly one output.");
        _graphOutputs.Add(_graph.Output[0].Name);

        var nodes = _graph.Node;
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            // Every operator MixBit reads has an output; a node without one is a damaged graph (found by fuzzing).
            if (node.Output.Count == 0 || node.Output[0].Length == 0)
                throw new OnnxImportException($"{_source}: {OnnxTopologicalSort.Label(nodes, i)} has no output, so the file is not a valid ONNX graph.");
            if (node.OpType == "Constant" && IsOnnxDomain(node))
            {
                try { _constants[node.Output[0]] = ConstantValue(node); }
                catch (ModelException e) { throw new OnnxImportException($"{_source}: Constant node '{node.Name}': {e.Message}"); }
            }
            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                _consumerCount[input] = _consumerCount.GetValueOrDefault(input) + 1;
                (_consumers.TryGetValue(input, out var list) ? list : _consumers[input] = []).Add(node);
            }
        }

        var available = new HashSet<string>(_constants.Keys.Concat(_activations.Keys), StringComparer.Ordinal);
        foreach (int i in OnnxTopologicalSort.Sort(nodes, available, _source))
        {
            var node = nodes[i];
            if (node.OpType == "Constant" && IsOnnxDomain(node)) continue;
            string label = $"{_source}: {OnnxTopologicalSort.Label(nodes, i)}";
            try { Convert(node, i, label); }
            catch (ModelException e) { throw new OnnxImportException($"{label}: {e.Message}"); }
        }
        try { return Build(); }
        catch (ModelException e) { throw new OnnxImportException($"{_source}: {e.Message}"); }
    }

    private void ReadInput()
    {
        var inputs = _graph.Input.Where(v => !_constants.ContainsKey(v.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxImportException($"{_source} has {inputs.Count} inputs; MixBit imports models with exactly one image input [N, C, H, W].");
        var input = inputs[0];
        var tensorType = input.Type?.TensorType
            ?? throw new OnnxImportException($"{_source}: input '{input.Name}' is not a tensor; MixBit needs a float32 image input [N, C, H, W].");
        if (tensorType.ElemType != (int)TensorProto.Types.DataType.Float)
            throw new OnnxImportException($"{_source}: input '{input.Name}' has type {OnnxTensors.TypeName(tensorType.ElemType)}; MixBit needs a FLOAT (float32) input.");
        var dims = tensorType.Shape?.Dim;
        if (dims is null || dims.Count != 4)
            throw new OnnxImportException($"{_source}: input '{input.Name}' has rank {dims?.Count ?? 0}; MixBit needs an image input of shape [N, C, H, W].");
        for (int d = 1; d < 4; d++)
        {
            if (!dims[d].HasDimValue || dims[d].DimValue <= 0)
                throw new OnnxImportException($"{_source}: input '{input.Name}' has no fixed size on axis {"NCHW"[d]}; MixBit needs fixed C, H and W (only N may be symbolic).");
            if (dims[d].DimValue > ActivationShape.MaxElements)
                throw new OnnxImportException($"{_source}: input '{input.Name}' has {dims[d].DimValue:N0} {AxisName(d)}, more than the {ActivationShape.MaxElements:N0} values per image MixBit supports; re-export the model for a smaller input.");
        }
        _inputShape = new((int)dims[1].DimValue, (int)dims[2].DimValue, (int)dims[3].DimValue);
        try { _inputShape.CheckSize($"input '{input.Name}'"); }
        catch (ModelException e) { throw new OnnxImportException($"{_source}: {e.Message}"); }
        _activations[input.Name] = new Activation(ModelGraph.GraphInput, 4);
    }

    private static string AxisName(int axis) => axis switch { 1 => "channels", 2 => "rows (height)", _ => "columns (width)" };

    private void Convert(NodeProto node, int index, string label)
    {
        if (!IsOnnxDomain(node)) throw Unsupported(node, label);
        var attrs = new OnnxAttributes(node, label);
        switch (node.OpType)
        {
            case "Conv": Conv(node, index, label, attrs); break;
            case "BatchNormalization": BatchNorm(node, index, label, attrs); break;
            case "Relu": Emit(node, index, ReluSpec.Relu, Act(node, 0, label)); break;
            case "Clip": Clip(node, index, label, attrs); break;
            case "Add": Add(node, index, label); break;
            case "MaxPool": Pool(node, index, label, attrs, PoolKind.Max); break;
            case "AveragePool": Pool(node, index, label, attrs, PoolKind.Average); break;
            case "GlobalAveragePool": Emit(node, index, new GlobalAvgPoolSpec(), Act(node, 0, label, rank: 4)); break;
            case "Flatten": Flatten(node, index, label, attrs); break;
            case "Reshape": Reshape(node, index, label, attrs); break;
            case "Gemm": Gemm(node, index, label, attrs); break;
            case "MatMul": MatMul(node, index, label); break;
            case "Softmax": Softmax(node, index, label, attrs); break;
            case "Dropout" or "Identity": PassThrough(node, label); break;
            default: throw Unsupported(node, label);
        }
    }

    // ---- operators ----

    private void Conv(NodeProto node, int index, string label, OnnxAttributes attrs)
    {
        var x = Act(node, 0, label, rank: 4);
        var w = Const(node, 1, label, "weight");
        var wd = OnnxTensors.Dims(w);
        if (wd.Length != 4)
            throw new OnnxImportException($"{label} has a {wd.Length}-D weight; MixBit supports 2-D convolutions (4-D weights [M, C/group, kH, kW]).");
        var kernel = attrs.Ints("kernel_shape", 2, 0);
        if (attrs.Has("kernel_shape") && (kernel[0] != wd[2] || kernel[1] != wd[3]))
            throw new OnnxImportException($"{label} has kernel_shape [{kernel[0]}, {kernel[1]}] but a {wd[2]}x{wd[3]} weight, so the file is inconsistent.");
        var inShape = Shape(x);
        int group = checked((int)attrs.Int("group", 1));
        if (group <= 0 || (long)wd[1] * group != inShape.Channels)
            throw new OnnxImportException($"{label} has weight [{string.Join(", ", wd)}] with group={group}, which needs {wd[1] * group} input channels, but its input has {inShape.Channels}.");
        var strides = attrs.Ints("strides", 2, 1);
        var dilations = attrs.Ints("dilations", 2, 1);
        var pads = Padding(attrs, label, inShape, wd[2], wd[3], strides, dilations);

        bool hasBias = HasInput(node, 2);
        float[]? bias = hasBias ? OnnxTensors.ReadFloats(Const(node, 2, label, "bias"), "Bias") : null;
        var spec = new Conv2dSpec(inShape.Channels, wd[0], wd[2], wd[3], checked((int)strides[0]), checked((int)strides[1]),
            pads.Top, pads.Left, pads.Bottom, pads.Right, group, hasBias, checked((int)dilations[0]), checked((int)dilations[1]));
        Emit(node, index, spec, x, 4, ("weight", OnnxTensors.ReadFloats(w, "Weight")), ("bias", bias));
    }

    private void BatchNorm(NodeProto node, int index, string label, OnnxAttributes attrs)
    {
        var x = Act(node, 0, label);
        if (x.Rank != 4)
            throw new OnnxImportException($"{label} normalises a {x.Rank}-D tensor; MixBit supports BatchNormalization over 4-D NCHW feature maps only.");
        if (attrs.Int("training_mode", 0) != 0 || node.Output.Skip(1).Any(IsUsed))
            throw new OnnxImportException($"{label} is in training mode (it outputs batch statistics); export the model in inference (eval) mode.");
        // ONNX: running = running * momentum + batch * (1 - momentum); MixBit (PyTorch): momentum is the batch's share.
        // Rounded to 6 decimals so that 0.1 survives the float round trip 1 - (1 - 0.1f).
        float momentum = (float)Math.Round(1.0 - attrs.Float("momentum", 0.9f), 6);
        var spec = new BatchNorm2dSpec(Shape(x).Channels, attrs.Float("epsilon", 1e-5f), momentum);
        Emit(node, index, spec, x, 4,
            ("weight", OnnxTensors.ReadFloats(Const(node, 1, label, "scale"), "Scale")),
            ("bias", OnnxTensors.ReadFloats(Const(node, 2, label, "bias (B)"), "Bias")),
            ("running_mean", OnnxTensors.ReadFloats(Const(node, 3, label, "mean"), "Mean")),
            ("running_var", OnnxTensors.ReadFloats(Const(node, 4, label, "variance"), "Variance")));
    }

    /// <summary>
    /// Clip(min=0, max) is a bounded ReLU. Exporters also write ReLU6 as Relu followed by Clip(max=6) with no min
    /// (opset &lt; 11); on a ReLU's output any min &lt;= 0 is the same as 0, so that pair becomes one ReLU6.
    /// </summary>
    private void Clip(NodeProto node, int index, string label, OnnxAttributes attrs)
    {
        var x = Act(node, 0, label);
        float min, max;
        if (_opset < 11)
        {
            min = attrs.Float("min", float.MinValue);
            max = attrs.Float("max", float.MaxValue);
        }
        else
        {
            min = HasInput(node, 1) ? Scalar(Const(node, 1, label, "min"), label, "min") : float.NegativeInfinity;
            max = HasInput(node, 2) ? Scalar(Const(node, 2, label, "max"), label, "max") : float.PositiveInfinity;
        }
        if (max >= float.MaxValue) max = float.PositiveInfinity;
        if (!(max > 0))
            throw new OnnxImportException($"{label} clips to [{min}, {max}]; MixBit supports Clip only as a ReLU with a positive upper bound (min=0, max>0).");
        if (min == 0)
        {
            Emit(node, index, new ReluSpec(max), x);
            return;
        }
        if (min < 0 && x.Node != ModelGraph.GraphInput && _nodes[x.Node].Spec is ReluSpec relu)
        {
            string reluOutput = node.Input[0];
            if (_emittedTensor[x.Node] == reluOutput && _consumerCount[reluOutput] == 1 && !_graphOutputs.Contains(reluOutput))
            {
                _nodes[x.Node] = _nodes[x.Node] with { Spec = new ReluSpec(Math.Min(relu.Max, max)) };
                Bind(node, x);
            }
            else Emit(node, index, new ReluSpec(max), x);
            return;
        }
        throw new OnnxImportException($"{label} clips to [{min}, {max}]; MixBit supports Clip only with min=0 (a ReLU with an upper bound such as ReLU6).");
    }

    private void Add(NodeProto node, int index, string label)
    {
        if (_fusedAdds.TryGetValue(node, out int linear))
        {
            Bind(node, new Activation(linear, 2));
            return;
        }
        if (node.Input.Count != 2)
            throw new OnnxImportException($"{label} has {node.Input.Count} inputs, Add needs 2.");
        foreach (var input in node.Input)
            if (_constants.ContainsKey(input))
                throw new OnnxImportException($"{label} adds the constant '{input}'; MixBit supports Add of two computed tensors (residual) or a constant only as the bias right after a MatMul.");
        var a = Act(node, 0, label);
        var b = Act(node, 1, label);
        if (a.Rank != b.Rank)
            throw new OnnxImportException($"{label} adds a {a.Rank}-D and a {b.Rank}-D tensor; MixBit supports Add of tensors of equal shape only (no broadcasting).");
        EmitLayer(node, index, new AddSpec(), [a.Node, b.Node], a.Rank);
    }

    private void Pool(NodeProto node, int index, string label, OnnxAttributes attrs, PoolKind kind)
    {
        var x = Act(node, 0, label, rank: 4);
        if (!attrs.Has("kernel_shape"))
            throw new OnnxImportException($"{label} has no kernel_shape, so the file is not valid ONNX.");
        var kernel = attrs.Ints("kernel_shape", 2, 0);
        if (attrs.Int("ceil_mode", 0) != 0)
            throw new OnnxImportException($"{label} uses ceil_mode=1; MixBit supports floor output sizes only (ceil_mode=0), so re-export with ceil_mode=False or pad the input.");
        var dilations = attrs.Ints("dilations", 2, 1);
        if (dilations.Any(d => d != 1))
            throw new OnnxImportException($"{label} uses dilated pooling (dilations=[{string.Join(", ", dilations)}]); MixBit supports pooling without dilation only.");
        if (kind == PoolKind.Max && node.Output.Skip(1).Any(IsUsed))
            throw new OnnxImportException($"{label} outputs the argmax indices; MixBit supports MaxPool's values output only.");
        var strides = attrs.Ints("strides", 2, 1);
        var pads = Padding(attrs, label, Shape(x), checked((int)kernel[0]), checked((int)kernel[1]), strides, dilations);
        bool countIncludePad = kind == PoolKind.Average && attrs.Int("count_include_pad", 0) != 0;
        var spec = new Pool2dSpec(kind, checked((int)kernel[0]), checked((int)kernel[1]), checked((int)strides[0]), checked((int)strides[1]),
            pads.Top, pads.Left, pads.Bottom, pads.Right, countIncludePad);
        Emit(node, index, spec, x);
    }

    private void Flatten(NodeProto node, int index, string label, OnnxAttributes attrs)
    {
        var x = Act(node, 0, label);
        long axis = attrs.Int("axis", 1);
        if (axis < 0) axis += x.Rank;
        if (axis != 1)
            throw new OnnxImportException($"{label} flattens at axis {attrs.Int("axis", 1)}; MixBit supports Flatten at axis 1 (to [N, features]) only.");
        if (x.Rank == 2) Bind(node, x);
        else Emit(node, index, new FlattenSpec(), x, rank: 2);
    }

    /// <summary>Reshape to [N, features]: the shape may be [0 or -1 or N, features] or [0 or N, -1].</summary>
    private void Reshape(NodeProto node, int index, string label, OnnxAttributes attrs)
    {
        var x = Act(node, 0, label);
        var shape = OnnxTensors.ReadInt64s(Const(node, 1, label, "shape"), "Shape");
        var xs = Shape(x);
        long features = xs.Elements;
        bool allowZero = attrs.Int("allowzero", 0) != 0;
        bool ok = shape.Length == 2;
        if (ok)
        {
            // A 0 copies the input's dimension (unless allowzero); axis 1 of a 4-D input is its channel count.
            long batch = shape[0], f = shape[1];
            if (f == 0 && !allowZero) f = x.Rank == 2 ? features : xs.Channels;
            bool batchOk = (batch == 0 && !allowZero) || batch > 0 || (batch == -1 && f == features);
            ok = batchOk && (f == features || (f == -1 && batch != -1));
        }
        if (!ok)
            throw new OnnxImportException($"{label} reshapes to [{string.Join(", ", shape)}]; MixBit supports Reshape only to [batch, features] ({features} features here).");
        if (x.Rank == 2) Bind(node, x);
        else Emit(node, index, new FlattenSpec(), x, rank: 2);
    }

    private void Gemm(NodeProto node, int index, string label, OnnxAttributes attrs)
    {
        var a = Act(node, 0, label, rank: 2);
        if (attrs.Int("transA", 0) != 0)
            throw new OnnxImportException($"{label} uses transA=1; MixBit supports Gemm with an untransposed input (transA=0) only.");
        bool transB = attrs.Int("transB", 0) != 0;
        float alpha = attrs.Float("alpha", 1f), beta = attrs.Float("beta", 1f);
        var (weight, outFeatures) = LinearWeight(node, label, Shape(a).Elements, transB);
        if (alpha != 1f) for (int i = 0; i < weight.Length; i++) weight[i] *= alpha;

        float[]? bias;
        if (HasInput(node, 2))
        {
            var c = OnnxTensors.ReadFloats(Const(node, 2, label, "bias (C)"), "Bias");
            if (c.Length != outFeatures && c.Length != 1)
                throw new OnnxImportException($"{label} has a bias (C) of {c.Length} values; MixBit supports a bias of {outFeatures} values (one per output) or a scalar.");
            bias = c.Length == outFeatures ? c : Enumerable.Repeat(c[0], outFeatures).ToArray();
            if (beta != 1f) for (int i = 0; i < bias.Length; i++) bias[i] *= beta;
        }
        else bias = FusibleBias(node, outFeatures);
        EmitLinear(node, index, a, weight, outFeatures, bias);
    }

    /// <summary>MatMul with a constant right-hand side; a following Add of a 1-D constant becomes its bias.</summary>
    private void MatMul(NodeProto node, int index, string label)
    {
        var a = Act(node, 0, label, rank: 2);
        var (weight, outFeatures) = LinearWeight(node, label, Shape(a).Elements, transposed: false);
        EmitLinear(node, index, a, weight, outFeatures, FusibleBias(node, outFeatures));
    }

    private void Softmax(NodeProto node, int index, string label, OnnxAttributes attrs)
    {
        var x = Act(node, 0, label);
        // Opset < 13: softmax over the flattened axes >= axis (default 1); opset >= 13: over one axis (default -1).
        long axis = attrs.Int("axis", _opset < 13 ? 1 : -1);
        if (axis < 0) axis += x.Rank;
        var s = Shape(x);
        bool flat = x.Rank == 2 || (s.Height == 1 && s.Width == 1);
        if (!flat || axis != 1)
            throw new OnnxImportException($"{label} applies softmax over axis {attrs.Int("axis", _opset < 13 ? 1 : -1)} of a {x.Rank}-D tensor; MixBit supports Softmax over the features of [N, features] only.");
        Emit(node, index, new SoftmaxSpec(), x);
    }

    /// <summary>Dropout (inference) and Identity: consumers read the input directly.</summary>
    private void PassThrough(NodeProto node, string label)
    {
        if (node.Input.Count == 0 || node.Input[0].Length == 0)
            throw new OnnxImportException($"{label} has no input, so the file is not valid ONNX.");
        if (node.OpType == "Dropout" && node.Output.Skip(1).Any(IsUsed))
            throw new OnnxImportException($"{label} outputs its dropout mask; MixBit supports Dropout in inference form (one output) only.");
        if (_constants.TryGetValue(node.Input[0], out var constant)) _constants[node.Output[0]] = constant;
        else Bind(node, Act(node, 0, label));
    }

    // ---- helpers ----

    private (float[] Weight, int OutFeatures) LinearWeight(NodeProto node, string label, int inFeatures, bool transposed)
    {
        var b = Const(node, 1, label, "weight");
        var dims = OnnxTensors.Dims(b);
        if (dims.Length != 2)
            throw new OnnxImportException($"{label} has a {dims.Length}-D weight; MixBit supports 2-D weights for {node.OpType}.");
        int k = transposed ? dims[1] : dims[0], n = transposed ? dims[0] : dims[1];
        if (k != inFeatures)
            throw new OnnxImportException($"{label} has a weight [{dims[0]}, {dims[1]}] that needs {k} input features, but its input has {inFeatures}.");
        var data = OnnxTensors.ReadFloats(b, "Weight");
        if (transposed) return (data, n);
        // ONNX B is [K, N]; MixBit's Linear weight is [N, K].
        var w = new float[data.Length];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < n; j++)
                w[j * k + i] = data[i * n + j];
        return (w, n);
    }

    /// <summary>The bias of a following Add (the MatMul's only consumer) of a constant with one value per output.</summary>
    private float[]? FusibleBias(NodeProto node, int outFeatures)
    {
        string output = node.Output[0];
        if (_graphOutputs.Contains(output) || !_consumers.TryGetValue(output, out var users) || users.Count != 1) return null;
        var add = users[0];
        if (add.OpType != "Add" || !IsOnnxDomain(add) || add.Input.Count != 2 || add.Input[0] == add.Input[1]) return null;
        string other = add.Input[0] == output ? add.Input[1] : add.Input[0];
        if (!_constants.TryGetValue(other, out var c) || c.DataType != (int)TensorProto.Types.DataType.Float) return null;
        var dims = OnnxTensors.Dims(c);
        if (OnnxTensors.ElementCount(c) != outFeatures || !(dims.Length == 1 || (dims.Length == 2 && dims[0] == 1))) return null;
        _fusedAdds[add] = -1; // resolved to the emitted node by EmitLinear
        return OnnxTensors.ReadFloats(c, "Bias");
    }

    private void EmitLinear(NodeProto node, int index, Activation a, float[] weight, int outFeatures, float[]? bias)
    {
        int n = Emit(node, index, new LinearSpec(Shape(a).Elements, outFeatures, bias is not null), a, rank: 2,
            ("weight", weight), ("bias", bias));
        if (bias is not null && _consumers.TryGetValue(node.Output[0], out var users))
            foreach (var add in users.Where(u => _fusedAdds.ContainsKey(u))) _fusedAdds[add] = n;
    }

    private (int Top, int Left, int Bottom, int Right) Padding(OnnxAttributes attrs, string label, ActivationShape x,
        int kernelH, int kernelW, long[] strides, long[] dilations)
    {
        string autoPad = attrs.String("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET" or "":
                var p = attrs.Ints("pads", 4, 0); // [top, left, bottom, right]
                if (p.Any(v => v < 0))
                    throw new OnnxImportException($"{label} has negative pads [{string.Join(", ", p)}]; MixBit supports non-negative padding only.");
                return (checked((int)p[0]), checked((int)p[1]), checked((int)p[2]), checked((int)p[3]));
            case "VALID":
                return (0, 0, 0, 0);
            case "SAME_UPPER" or "SAME_LOWER":
                bool upper = autoPad == "SAME_UPPER";
                var (top, bottom) = SamePadding(x.Height, kernelH, strides[0], dilations[0], upper);
                var (left, right) = SamePadding(x.Width, kernelW, strides[1], dilations[1], upper);
                return (top, left, bottom, right);
            default:
                throw new OnnxImportException($"{label} has auto_pad={autoPad}; MixBit supports NOTSET, SAME_UPPER, SAME_LOWER and VALID.");
        }
    }

    /// <summary>
    /// SAME padding: output = ceil(in / stride), total = max(0, (out - 1) * stride + (k - 1) * dilation + 1 - in);
    /// SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the beginning.
    /// </summary>
    private static (int Begin, int End) SamePadding(int size, int kernel, long stride, long dilation, bool upper)
    {
        if (stride <= 0 || dilation <= 0 || kernel <= 0)
            throw new ModelException($"SAME padding needs a positive kernel, stride and dilation, got {kernel}, {stride} and {dilation}.");
        long output = (size + stride - 1) / stride;
        long needed = Math.Max(0, (output - 1) * stride + (kernel - 1) * dilation + 1 - size);
        if (needed > int.MaxValue) throw new ModelException($"SAME padding of {needed:N0} pixels is out of range.");
        int total = (int)needed;
        int small = total / 2, large = total - small;
        return upper ? (small, large) : (large, small);
    }

    private float Scalar(TensorProto t, string label, string role)
    {
        var v = OnnxTensors.ReadFloats(t, $"Clip {role}");
        if (v.Length != 1)
            throw new OnnxImportException($"{label} has a {role} of {v.Length} values; Clip needs a scalar.");
        return v[0];
    }

    private TensorProto ConstantValue(NodeProto node)
    {
        var a = node.Attribute.FirstOrDefault()
            ?? throw new OnnxImportException($"{_source}: Constant node '{node.Name}' has no value, so the file is not valid ONNX.");
        string name = node.Output[0];
        return a.Name switch
        {
            "value" => Renamed(a.T ?? throw new OnnxImportException($"{_source}: Constant node '{node.Name}' has an empty value.")),
            "value_float" => OnnxTensors.FromFloats(name, [a.F], []),
            "value_floats" => OnnxTensors.FromFloats(name, a.Floats.ToArray(), [a.Floats.Count]),
            "value_int" => OnnxTensors.FromInt64s(name, [a.I], []),
            "value_ints" => OnnxTensors.FromInt64s(name, a.Ints.ToArray(), [a.Ints.Count]),
            _ => throw new OnnxImportException($"{_source}: Constant node '{node.Name}' holds a {a.Name}; MixBit reads float and integer constants only."),
        };

        TensorProto Renamed(TensorProto t)
        {
            var copy = t.Clone();
            copy.Name = name;
            return copy;
        }
    }

    /// <summary>Input <paramref name="i"/> as an activation, optionally of a required rank.</summary>
    private Activation Act(NodeProto node, int i, string label, int rank = 0)
    {
        if (!HasInput(node, i))
            throw new OnnxImportException($"{label} has no input {i}, so the file is not valid ONNX.");
        string name = node.Input[i];
        if (!_activations.TryGetValue(name, out var a))
            throw new OnnxImportException(_constants.ContainsKey(name)
                ? $"{label} reads the constant '{name}' where MixBit needs a tensor computed from the model input."
                : $"{label} reads '{name}', which MixBit could not compute.");
        if (rank != 0 && a.Rank != rank)
            throw new OnnxImportException($"{label} reads a {a.Rank}-D tensor; MixBit supports {node.OpType} on {rank}-D {(rank == 4 ? "NCHW feature maps" : "[N, features] tensors")} only.");
        return a;
    }

    /// <summary>Input <paramref name="i"/> as a constant (initializer or Constant node).</summary>
    private TensorProto Const(NodeProto node, int i, string label, string role)
    {
        if (!HasInput(node, i))
            throw new OnnxImportException($"{label} has no {role} input, so the file is not valid ONNX.");
        string name = node.Input[i];
        if (_constants.TryGetValue(name, out var t)) return t;
        throw new OnnxImportException(_activations.ContainsKey(name)
            ? $"{label} computes its {role} '{name}' in the graph; MixBit needs it as an initializer."
            : $"{label} reads the {role} initializer '{name}', which is missing from the file.");
    }

    private static bool HasInput(NodeProto node, int i) => node.Input.Count > i && node.Input[i].Length > 0;

    private bool IsUsed(string tensor) => tensor.Length > 0 && (_consumerCount.ContainsKey(tensor) || _graphOutputs.Contains(tensor));

    private static bool IsOnnxDomain(NodeProto node) => node.Domain is "" or "ai.onnx";

    private ActivationShape Shape(Activation a) => a.Node == ModelGraph.GraphInput ? _inputShape : _shapes[a.Node];

    private void Bind(NodeProto node, Activation a) => _activations[node.Output[0]] = a;

    private int Emit(NodeProto node, int index, LayerSpec spec, Activation x, int rank = 0,
        params (string Suffix, float[]? Data)[] parameters) =>
        EmitLayer(node, index, spec, [x.Node], rank == 0 ? x.Rank : rank, parameters);

    /// <summary>Appends a layer, checks its parameters against the spec and binds the node's output to it.</summary>
    private int EmitLayer(NodeProto node, int index, LayerSpec spec, int[] inputs, int rank,
        params (string Suffix, float[]? Data)[] parameters)
    {
        string name = UniqueName(node, index);
        var inShapes = inputs.Select(i => i == ModelGraph.GraphInput ? _inputShape : _shapes[i]).ToArray();
        var shape = spec.OutputShape(inShapes);
        ModelGraph.CheckSizes(name, spec, shape);
        foreach (var (suffix, data) in parameters)
        {
            if (data is null) continue;
            var p = spec.Parameters.First(p => p.Suffix == suffix);
            if (data.Length != p.LongElements)
                throw new OnnxImportException($"{_source}: node '{name}' ({node.OpType}) has a {suffix} of {data.Length} values; the layer needs {p.LongElements} ([{string.Join(", ", p.Shape)}]).");
            // NaN or infinite weights (or a negative variance) would make every output NaN without an error.
            int bad = Array.FindIndex(data, v => !float.IsFinite(v) || (p.Kind == ParameterKind.RunningVariance && v < 0));
            if (bad >= 0)
                throw new OnnxImportException($"{_source}: node '{name}' ({node.OpType}) has {suffix} value {data[bad]} at index {bad}; every weight must be a finite number (and a variance non-negative), so the model is damaged or was saved after training diverged.");
            _parameters[$"{name}.{suffix}"] = new Tensor(data, p.Shape);
        }
        _nodes.Add(new GraphNode(name, spec, inputs));
        _shapes.Add(shape);
        _emittedTensor.Add(node.Output[0]);
        int n = _nodes.Count - 1;
        Bind(node, new Activation(n, rank));
        return n;
    }

    /// <summary>The ONNX node name, or "&lt;op&gt;_&lt;index&gt;" when empty; "_2", "_3", ... make repeats unique.</summary>
    private string UniqueName(NodeProto node, int index)
    {
        string name = node.Name.Length > 0 ? node.Name : $"{node.OpType}_{index}";
        string unique = name;
        for (int k = 2; !_names.Add(unique); k++) unique = $"{name}_{k}";
        return unique;
    }

    private OnnxImportException Unsupported(NodeProto node, string label)
    {
        string op = IsOnnxDomain(node) ? node.OpType : $"{node.Domain}.{node.OpType}";
        return new OnnxImportException($"{label}: operator {op} is not supported; MixBit imports {string.Join(", ", OnnxImporter.SupportedOps)}.");
    }

    /// <summary>Keeps the layers the output depends on (in order; the output is then last) and builds the model.</summary>
    private Model Build()
    {
        string outputName = _graph.Output[0].Name;
        if (!_activations.TryGetValue(outputName, out var output) || output.Node == ModelGraph.GraphInput)
            throw new OnnxImportException($"{_source}: output '{outputName}' is not computed by any layer from the input, so there is nothing to import.");

        var keep = new bool[_nodes.Count];
        keep[output.Node] = true;
        for (int i = output.Node; i >= 0; i--)
            if (keep[i])
                foreach (int src in _nodes[i].Inputs)
                    if (src != ModelGraph.GraphInput) keep[src] = true;

        var newIndex = new int[_nodes.Count];
        var nodes = new List<GraphNode>();
        for (int i = 0; i <= output.Node; i++)
        {
            if (!keep[i]) continue;
            newIndex[i] = nodes.Count;
            var n = _nodes[i];
            nodes.Add(n with { Inputs = n.Inputs.Select(s => s == ModelGraph.GraphInput ? s : newIndex[s]).ToArray() });
        }
        string name = _graph.Name.Length > 0 ? _graph.Name : Path.GetFileNameWithoutExtension(_source);
        var graph = new ModelGraph(name, _inputShape, nodes);
        return new Model(graph, _parameters);
    }
}
