using MixBit.Nn.Specs;

namespace MixBit.Nn.Graph;

/// <summary>
/// A validated, immutable directed acyclic graph of layers in execution (topological) order. The last node is
/// the output. Shapes of every node are inferred once at construction.
/// </summary>
public sealed class ModelGraph
{
    public const int GraphInput = -1;

    private readonly GraphNode[] _nodes;
    private readonly ActivationShape[] _shapes;
    private readonly int[][] _consumers;

    public ModelGraph(string name, ActivationShape inputShape, IEnumerable<GraphNode> nodes)
    {
        Name = name;
        InputShape = inputShape;
        _nodes = nodes.ToArray();
        if (_nodes.Length == 0) throw new ModelException("A model needs at least one layer.");
        if (inputShape.Channels <= 0 || inputShape.Height <= 0 || inputShape.Width <= 0)
            throw new ModelException($"Invalid input shape {inputShape}.");
        inputShape.CheckSize("The input");

        _shapes = new ActivationShape[_nodes.Length];
        var names = new HashSet<string>(StringComparer.Ordinal);
        var consumers = Enumerable.Range(0, _nodes.Length).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < _nodes.Length; i++)
        {
            var node = _nodes[i];
            if (!names.Add(node.Name)) throw new ModelException($"Duplicate layer name '{node.Name}'.");
            if (node.Inputs.Length != node.Spec.InputCount)
                throw new ModelException($"Layer '{node.Name}' ({node.Spec.OpName}) takes {node.Spec.InputCount} input(s), got {node.Inputs.Length}.");
            var inShapes = new ActivationShape[node.Inputs.Length];
            for (int k = 0; k < node.Inputs.Length; k++)
            {
                int src = node.Inputs[k];
                if (src < GraphInput || src >= i)
                    throw new ModelException($"Layer '{node.Name}' reads node {src}, which is not an earlier node.");
                inShapes[k] = src == GraphInput ? inputShape : _shapes[src];
                if (src != GraphInput) consumers[src].Add(i);
            }
            try { _shapes[i] = node.Spec.OutputShape(inShapes); }
            catch (ModelException e) { throw new ModelException($"Layer '{node.Name}': {e.Message}"); }
            CheckSizes(node.Name, node.Spec, _shapes[i]);
        }
        _consumers = consumers.Select(c => c.ToArray()).ToArray();
        // MACs are summed in long: a graph whose count does not fit is refused here, not printed wrapped around.
        try { _ = Enumerable.Range(0, Count).Aggregate(0L, (sum, i) => checked(sum + MacsOf(i))); }
        catch (OverflowException) { throw new ModelException($"Model '{name}' needs more than {long.MaxValue:N0} multiply-accumulates per image; use a smaller input size."); }
    }

    /// <summary>Throws a <see cref="ModelException"/> when a layer's output or one of its tensors is too large to index.</summary>
    internal static void CheckSizes(string layer, LayerSpec spec, ActivationShape output)
    {
        output.CheckSize($"The output of layer '{layer}'");
        foreach (var p in spec.Parameters)
            if (p.LongElements > ActivationShape.MaxElements)
                throw new ModelException($"The {p.Suffix} of layer '{layer}' has [{string.Join(" x ", p.Shape)}] = {p.LongElements:N0} values, more than the {ActivationShape.MaxElements:N0} MixBit supports.");
    }

    public string Name { get; }
    public ActivationShape InputShape { get; }
    public IReadOnlyList<GraphNode> Nodes => _nodes;
    public int Count => _nodes.Length;
    public ActivationShape OutputShape => _shapes[^1];

    public ActivationShape ShapeOf(int node) => node == GraphInput ? InputShape : _shapes[node];

    public IReadOnlyList<ActivationShape> InputShapesOf(int node) => _nodes[node].Inputs.Select(ShapeOf).ToArray();

    /// <summary>Nodes that read the output of <paramref name="node"/>.</summary>
    public IReadOnlyList<int> ConsumersOf(int node) => _consumers[node];

    public int IndexOf(string name)
    {
        for (int i = 0; i < _nodes.Length; i++) if (_nodes[i].Name == name) return i;
        return -2;
    }

    public long MacsOf(int node) => _nodes[node].Spec.Macs(InputShapesOf(node));
    public long TotalMacs => Enumerable.Range(0, Count).Sum(MacsOf);

    /// <summary>Every stored tensor of the model with its full name, in node order.</summary>
    public IEnumerable<(string Name, ParameterSpec Spec, int Node)> AllParameters()
    {
        for (int i = 0; i < _nodes.Length; i++)
            foreach (var p in _nodes[i].Spec.Parameters)
                yield return (_nodes[i].ParameterName(p.Suffix), p, i);
    }

    /// <summary>Number of trainable scalars (weights, biases, BN affine), as frameworks report "parameters".</summary>
    public long TrainableParameterCount => AllParameters().Where(p => p.Spec.Trainable).Sum(p => (long)p.Spec.Elements);
}
