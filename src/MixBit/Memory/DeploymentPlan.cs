using MixBit.Nn.Graph;
using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>
/// The deployed integer model without its bits, built once per model: the graph's layers fused into integer ops in
/// execution order, every activation buffer with a stable id, its lifetime, signedness and the policy entries that set
/// its bits. <see cref="Price"/> turns it into the FLASH and RAM of one policy in O(ops); <see cref="BitsOf"/> is the
/// one place where a tensor's bits are derived, read by the memory model, the fake-quant network, the integer model
/// and the C generator alike.
/// <list type="bullet">
/// <item>Conv2d/Linear + a directly following BatchNorm2d + ReLU/ReLU6 (each the only reader of the node before it) = one quantized layer.</item>
/// <item>Add (+ a directly following ReLU, its clamp), MaxPool/AvgPool and GlobalAvgPool are ops of their own.</item>
/// <item>Flatten and Dropout are removed: Flatten is a view of its input buffer, Dropout is the identity at inference;
/// a final Softmax is dropped too (the logits' argmax is the class).</item>
/// <item>Bits: the network input is 8-bit; a quantized layer's output has its activation bits; pools keep their input's
/// bits; an Add takes the larger of its inputs' bits; the network output (the logits) is always 8-bit.</item>
/// <item>FLASH = sum over ops of packed weights + integer parameters; RAM at an op = its live tensors (packed) + scratch;
/// peak RAM = max over ops.</item>
/// </list>
/// </summary>
public sealed class DeploymentPlan
{
    private readonly DeployedOp[] _ops;
    private readonly DeployedTensor[] _tensors;
    private readonly int[] _tensorOfNode;
    private readonly string[] _layers;

    internal DeploymentPlan(ModelGraph graph, DeployedOp[] ops, DeployedTensor[] tensors, int[] tensorOfNode)
    {
        (Graph, _ops, _tensors, _tensorOfNode) = (graph, ops, tensors, tensorOfNode);
        _layers = ops.Where(o => o.IsQuantizedLayer).Select(o => o.Name).ToArray();
        if (!_layers.SequenceEqual(BitPolicy.QuantizableLayers(graph)))
            throw new InvalidOperationException("Deployment plan layers and the policy's quantizable layers disagree.");
    }

    /// <summary>Fuses <paramref name="graph"/> into deployed ops; throws <see cref="Nn.Specs.ModelException"/> for a node with no integer kernel.</summary>
    public static DeploymentPlan Build(ModelGraph graph) => new DeploymentPlanBuilder(graph).Build();

    public ModelGraph Graph { get; }
    public IReadOnlyList<DeployedOp> Ops => _ops;
    public IReadOnlyList<DeployedTensor> Tensors => _tensors;

    /// <summary>The quantized layers (the policy's keys), in execution order.</summary>
    public IReadOnlyList<string> Layers => _layers;

    public DeployedTensor InputTensor => _tensors[0];
    public DeployedTensor OutputTensor => _tensors[_tensorOfNode[^1]];

    /// <summary>The buffer holding the output of graph node <paramref name="node"/> (the network input for -1).</summary>
    public DeployedTensor TensorOfNode(int node) => node == ModelGraph.GraphInput ? _tensors[0] : _tensors[_tensorOfNode[node]];

    /// <summary>The op whose main node is <paramref name="name"/> (for quantized layers: the BitPolicy key).</summary>
    public DeployedOp Op(string name) => _ops.FirstOrDefault(o => o.Name == name)
        ?? throw new MixBitException($"The deployment plan has no op named '{name}'.");

    public IEnumerable<DeployedTensor> LiveTensorsAt(int op) => _ops[op].LiveTensors.Select(t => _tensors[t]);

    /// <summary>Bits of tensor <paramref name="tensor"/> under <paramref name="policy"/>: the largest of its floor and its sources' activation bits.</summary>
    public int BitsOf(int tensor, BitPolicy policy)
    {
        var t = _tensors[tensor];
        int bits = t.FloorBits;
        foreach (var s in t.BitSources) bits = Math.Max(bits, policy[s].ActivationBits);
        return bits;
    }

    /// <summary>Weight bits of op <paramref name="op"/> under <paramref name="policy"/> (0 for ops without weights).</summary>
    public int WeightBitsOf(int op, BitPolicy policy) => _ops[op].IsQuantizedLayer ? policy[_ops[op].Name].WeightBits : 0;

    /// <summary>FLASH and RAM of every op and the totals under <paramref name="policy"/>.</summary>
    public PlanCost Price(BitPolicy policy)
    {
        if (!policy.Layers.SequenceEqual(_layers))
            throw new MixBitException($"The bit policy (for '{policy.ModelName}') does not cover the layers of model '{Graph.Name}'; make a policy for this model.");
        return new PlanCost(this, policy);
    }
}
