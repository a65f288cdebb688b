using MixBit.Nn.Specs;

namespace MixBit.Nn.Graph;

/// <summary>
/// A Conv2d/Linear node with the BatchNorm2d that directly follows it and the ReLU/ReLU6 after that, each included
/// only when it is the sole reader of the node before it. This is the unit that is fused: for fast float inference
/// (BN folded, activation as a clamp), for fake quantization, for the memory model and for the deployed integer op.
/// </summary>
public sealed record LayerChain(int Node, string Name, int? BatchNorm, int? Activation)
{
    /// <summary>Last node of the chain: its output is the chain's output.</summary>
    public int Tail => Activation ?? BatchNorm ?? Node;

    /// <summary>Chain nodes, main node first (e.g. conv, bn, relu6).</summary>
    public IEnumerable<int> Nodes
    {
        get
        {
            yield return Node;
            if (BatchNorm is { } b) yield return b;
            if (Activation is { } a) yield return a;
        }
    }

    public static bool IsHead(LayerSpec spec) => spec is Conv2dSpec or LinearSpec;

    /// <summary>The chain whose main node is <paramref name="node"/>, which must be a Conv2d or Linear node.</summary>
    public static LayerChain At(ModelGraph graph, int node)
    {
        if (!IsHead(graph.Nodes[node].Spec))
            throw new ModelException($"Layer '{graph.Nodes[node].Name}' is not a Conv2d/Linear layer.");
        int tail = node;
        int? bn = null, act = null;
        if (SoleReaderOfKind<BatchNorm2dSpec>(graph, tail) is var b and >= 0) bn = tail = b;
        if (SoleReaderOfKind<ReluSpec>(graph, tail) is var r and >= 0) act = r;
        return new LayerChain(node, graph.Nodes[node].Name, bn, act);
    }

    /// <summary>Every chain of <paramref name="graph"/> in execution order.</summary>
    public static IReadOnlyList<LayerChain> All(ModelGraph graph)
        => Enumerable.Range(0, graph.Count).Where(i => IsHead(graph.Nodes[i].Spec)).Select(i => At(graph, i)).ToArray();

    /// <summary>The only reader of <paramref name="node"/> if it is a <typeparamref name="T"/>, else -1.</summary>
    public static int SoleReaderOfKind<T>(ModelGraph graph, int node) where T : LayerSpec
    {
        var readers = graph.ConsumersOf(node);
        return readers.Count == 1 && graph.Nodes[readers[0]].Spec is T ? readers[0] : -1;
    }
}
