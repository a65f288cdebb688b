using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Quantization;

/// <summary>
/// One quantized layer of the deployed model: a Conv2d/Linear node, the BatchNorm2d that directly follows it and the
/// ReLU/ReLU6 after that (each only if it is the sole reader of the node before it). Fake quantization, the memory
/// model and the code generator all use this one grouping, so they fuse the same nodes.
/// </summary>
public sealed record QuantizableLayer(int Node, string Name, int? BatchNorm, int? Activation)
{
    /// <summary>Last node of the group: its output is the layer's (quantized) output activation.</summary>
    public int Tail => Activation ?? BatchNorm ?? Node;

    /// <summary>Group nodes, main node first (e.g. conv, bn, relu6).</summary>
    public IEnumerable<int> Nodes
    {
        get
        {
            yield return Node;
            if (BatchNorm is { } b) yield return b;
            if (Activation is { } a) yield return a;
        }
    }

    /// <summary>The group whose main node is <paramref name="node"/>, which must be a Conv2d or Linear node.</summary>
    public static QuantizableLayer At(ModelGraph graph, int node)
    {
        if (!BitPolicy.IsQuantizable(graph.Nodes[node].Spec))
            throw new ModelException($"Layer '{graph.Nodes[node].Name}' is not a Conv2d/Linear layer.");
        int tail = node;
        int? bn = null, act = null;
        if (SoleReaderOfKind<BatchNorm2dSpec>(graph, tail) is var b and >= 0) bn = tail = b;
        if (SoleReaderOfKind<ReluSpec>(graph, tail) is var r and >= 0) act = r;
        return new QuantizableLayer(node, graph.Nodes[node].Name, bn, act);
    }

    /// <summary>Every quantizable layer of <paramref name="graph"/> in execution order.</summary>
    public static IReadOnlyList<QuantizableLayer> All(ModelGraph graph)
        => Enumerable.Range(0, graph.Count).Where(i => BitPolicy.IsQuantizable(graph.Nodes[i].Spec)).Select(i => At(graph, i)).ToArray();

    /// <summary>The only reader of <paramref name="node"/> if it is a <typeparamref name="T"/>, else -1.</summary>
    public static int SoleReaderOfKind<T>(ModelGraph graph, int node) where T : LayerSpec
    {
        var readers = graph.ConsumersOf(node);
        return readers.Count == 1 && graph.Nodes[readers[0]].Spec is T ? readers[0] : -1;
    }
}
