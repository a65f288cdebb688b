using MixBit.Nn.Specs;

namespace MixBit.Nn.Graph;

/// <summary>
/// Builds a <see cref="ModelGraph"/> layer by layer. Each call appends a node reading the current tensor (or
/// the tensors given) and makes it current; the returned index can be kept for residual connections.
/// </summary>
public sealed class GraphBuilder
{
    private readonly List<GraphNode> _nodes = [];
    private readonly ActivationShape _inputShape;
    private readonly List<ActivationShape> _shapes = [];
    private readonly Dictionary<string, int> _opCounts = new();

    public GraphBuilder(ActivationShape inputShape)
    {
        inputShape.CheckSize("The input");
        _inputShape = inputShape;
    }

    /// <summary>Index of the current tensor (<see cref="ModelGraph.GraphInput"/> before the first layer).</summary>
    public int Current { get; private set; } = ModelGraph.GraphInput;

    public ActivationShape CurrentShape => Current == ModelGraph.GraphInput ? _inputShape : _shapes[Current];

    public int Add(LayerSpec spec, string? name = null, params int[] inputs)
    {
        if (inputs.Length == 0) inputs = [Current];
        name ??= AutoName(spec.OpName);
        var inShapes = inputs.Select(i => i == ModelGraph.GraphInput ? _inputShape : _shapes[i]).ToArray();
        var shape = spec.OutputShape(inShapes);
        ModelGraph.CheckSizes(name, spec, shape);
        _shapes.Add(shape);
        _nodes.Add(new GraphNode(name, spec, inputs));
        return Current = _nodes.Count - 1;
    }

    public int Conv(int outChannels, int kernel, int stride = 1, int groups = 1, bool bias = false, string? name = null)
        => Add(Conv2dSpec.Square(CurrentShape.Channels, outChannels, kernel, stride, groups, bias), name);

    public int DepthwiseConv(int kernel, int stride = 1, string? name = null)
        => Conv(CurrentShape.Channels, kernel, stride, CurrentShape.Channels, name: name);

    public int BatchNorm(string? name = null) => Add(new BatchNorm2dSpec(CurrentShape.Channels), name);
    public int Relu(string? name = null) => Add(ReluSpec.Relu, name);
    public int Relu6(string? name = null) => Add(ReluSpec.Relu6, name);
    public int Residual(int a, int b, string? name = null) => Add(new AddSpec(), name, a, b);
    public int GlobalAvgPool(string? name = null) => Add(new GlobalAvgPoolSpec(), name);
    public int Flatten(string? name = null) => Add(new FlattenSpec(), name);
    public int Dropout(float rate, string? name = null) => Add(new DropoutSpec(rate), name);
    public int Linear(int outFeatures, bool bias = true, string? name = null) => Add(new LinearSpec(CurrentShape.Elements, outFeatures, bias), name);
    public int MaxPool(int kernel, int stride) => Add(new Pool2dSpec(PoolKind.Max, kernel, kernel, stride, stride));
    public int AvgPool(int kernel, int stride) => Add(new Pool2dSpec(PoolKind.Average, kernel, kernel, stride, stride));

    /// <summary>Conv + BatchNorm + activation (ReLU6 by default), the MobileNet building block.</summary>
    public int ConvBnAct(int outChannels, int kernel, int stride = 1, int groups = 1, bool relu6 = true, bool activation = true)
    {
        Conv(outChannels, kernel, stride, groups);
        BatchNorm();
        if (activation) { if (relu6) Relu6(); else Relu(); }
        return Current;
    }

    public ModelGraph Build(string name) => new(name, _inputShape, _nodes);

    private string AutoName(string op)
    {
        _opCounts.TryGetValue(op, out int n);
        _opCounts[op] = n + 1;
        return $"{op}{n}";
    }
}
