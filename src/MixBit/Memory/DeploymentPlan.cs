using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>
/// The deployed integer model: the graph's layers fused into integer ops in execution order, every activation buffer
/// with its bits and lifetime, and every byte of FLASH and RAM. The memory model and the C code generator both read
/// this plan, so what is counted is what is allocated.
/// <list type="bullet">
/// <item>Conv2d/Linear + a directly following BatchNorm2d + ReLU/ReLU6 (each the only reader of the node before it) = one quantized layer.</item>
/// <item>Add (+ a directly following ReLU, its clamp), MaxPool/AvgPool and GlobalAvgPool are ops of their own.</item>
/// <item>Flatten and Dropout are removed: Flatten is a view of its input buffer, Dropout is the identity at inference;
/// a final Softmax is dropped too (the logits' argmax is the class).</item>
/// <item>FLASH = sum over ops of packed weights + integer parameters; RAM at an op = its live tensors (packed) + scratch; PeakRamBytes = max over ops.</item>
/// </list>
/// </summary>
public sealed class DeploymentPlan
{
    private readonly DeployedOp[] _ops;
    private readonly DeployedTensor[] _tensors;
    private readonly int[] _tensorOfNode;

    private DeploymentPlan(ModelGraph graph, BitPolicy policy, DeployedOp[] ops, DeployedTensor[] tensors, int[] tensorOfNode)
    {
        (Graph, Policy, _ops, _tensors, _tensorOfNode) = (graph, policy, ops, tensors, tensorOfNode);
        int peak = 0;
        for (int i = 1; i < ops.Length; i++) if (ops[i].RamBytes > ops[peak].RamBytes) peak = i;
        Footprint = new MemoryFootprint(ops.Sum(o => o.WeightBytes), ops.Sum(o => o.ParameterBytes), ops[peak].RamBytes, ops[peak].Name);
    }

    public ModelGraph Graph { get; }
    public BitPolicy Policy { get; }
    public IReadOnlyList<DeployedOp> Ops => _ops;
    public IReadOnlyList<DeployedTensor> Tensors => _tensors;
    public MemoryFootprint Footprint { get; }

    public DeployedTensor InputTensor => _tensors[0];
    public DeployedTensor OutputTensor => _tensors[_tensorOfNode[^1]];

    public long FlashBytes => Footprint.FlashBytes;
    public long PeakRamBytes => Footprint.PeakRamBytes;

    /// <summary>The buffer holding the output of graph node <paramref name="node"/> (the network input for -1).</summary>
    public DeployedTensor TensorOfNode(int node) => node == ModelGraph.GraphInput ? _tensors[0] : _tensors[_tensorOfNode[node]];

    /// <summary>The op whose main node is <paramref name="name"/> (for quantized layers: the BitPolicy key).</summary>
    public DeployedOp Op(string name) => _ops.FirstOrDefault(o => o.Name == name)
        ?? throw new MixBitException($"The deployment plan has no op named '{name}'.");

    public IEnumerable<DeployedTensor> LiveTensorsAt(int op) => _ops[op].LiveTensors.Select(t => _tensors[t]);

    public static DeploymentPlan Build(ModelGraph graph, BitPolicy policy)
    {
        policy.ValidateFor(graph);
        var builder = new Builder(graph, policy);
        return builder.Build();
    }

    /// <summary>Fuses the graph into ops, assigns bits, then derives consumers, lifetimes and live sets.</summary>
    private sealed class Builder(ModelGraph graph, BitPolicy policy)
    {
        private readonly List<TensorDraft> _tensors = [];
        private readonly List<OpDraft> _ops = [];
        private readonly int[] _tensorOfNode = Enumerable.Repeat(-1, graph.Count).ToArray();
        private readonly bool[] _absorbed = new bool[graph.Count];

        private sealed record TensorDraft(string Name, ActivationShape Shape, int Bits, int Producer, string[] Sources, bool Fixed)
        {
            public List<int> Views { get; } = [];
        }

        private sealed record OpDraft(string Name, DeployedOpKind Kind, LayerSpec Spec, int Node, int[] Fused, BatchNorm2dSpec? Bn,
            ReluSpec? Act, int[] Inputs, int Output, long WeightCount, int WeightBits, long ParameterBytes, long ScratchBytes);

        public DeploymentPlan Build()
        {
            _tensors.Add(new TensorDraft("input", graph.InputShape, BitPolicy.InputBits, -1, [], Fixed: true));
            for (int i = 0; i < graph.Count; i++)
            {
                if (_absorbed[i]) continue;
                var node = graph.Nodes[i];
                switch (node.Spec)
                {
                    case Conv2dSpec or LinearSpec: AddQuantizedLayer(i); break;
                    case AddSpec: AddResidual(i); break;
                    case Pool2dSpec or GlobalAvgPoolSpec: AddPool(i); break;
                    // A Softmax at the very end is dropped: the device returns the logits, whose argmax is the same class.
                    case FlattenSpec or DropoutSpec:
                    case SoftmaxSpec when i == graph.Count - 1:
                        int t = TensorOf(node.Inputs[0]);
                        _tensorOfNode[i] = t;
                        _tensors[t].Views.Add(i);
                        break;
                    case BatchNorm2dSpec or ReluSpec:
                        throw new ModelException($"Layer '{node.Name}' ({node.Spec.OpName}) cannot be deployed on its own: a BatchNorm must directly follow a Conv2d/Linear, and a ReLU a Conv2d/Linear, BatchNorm or Add, each as the only reader of that node.");
                    default:
                        throw new ModelException($"Layer '{node.Name}' ({node.Spec.OpName}) has no integer kernel for deployment.");
                }
            }
            return Finish();
        }

        private int TensorOf(int node) => node == ModelGraph.GraphInput ? 0 : _tensorOfNode[node];

        private int SoleReaderOfKind<T>(int node) where T : LayerSpec => LayerChain.SoleReaderOfKind<T>(graph, node);

        private void AddQuantizedLayer(int i)
        {
            var node = graph.Nodes[i];
            var group = LayerChain.At(graph, i);
            var fused = group.Nodes.ToList();
            int tail = group.Tail;
            var bn = group.BatchNorm is { } b ? (BatchNorm2dSpec)graph.Nodes[b].Spec : null;
            var act = group.Activation is { } r ? (ReluSpec)graph.Nodes[r].Spec : null;
            foreach (var f in fused.Skip(1)) _absorbed[f] = true;

            var bits = policy[node.Name];
            int output = NewTensor(node.Name, graph.ShapeOf(tail), bits.ActivationBits, [node.Name], fixedBits: false, fused);
            var (kind, weights, outChannels, scratch) = node.Spec switch
            {
                Conv2dSpec c => (c.IsDepthwise ? DeployedOpKind.DepthwiseConv2d : DeployedOpKind.Conv2d, (long)c.WeightCount, c.OutChannels,
                    // im2col column, unpacked int8: a standard conv gathers c_in/groups * k_h * k_w inputs per output pixel.
                    c.IsDepthwise || c.IsPointwise ? 0L : (long)c.InChannelsPerGroup * c.KernelH * c.KernelW),
                LinearSpec l => (DeployedOpKind.Linear, (long)l.WeightCount, l.OutFeatures, 0L),
                _ => throw new InvalidOperationException(),
            };
            _ops.Add(new OpDraft(node.Name, kind, node.Spec, i, fused.ToArray(), bn, act, [TensorOf(node.Inputs[0])], output,
                weights, bits.WeightBits, DeployedParameterLayout.QuantizedLayerBytes(outChannels), scratch));
        }

        private void AddResidual(int i)
        {
            var node = graph.Nodes[i];
            var fused = new List<int> { i };
            ReluSpec? act = null;
            if (SoleReaderOfKind<ReluSpec>(i) is var r and >= 0) { fused.Add(r); act = (ReluSpec)graph.Nodes[r].Spec; _absorbed[r] = true; }
            var inputs = node.Inputs.Select(TensorOf).ToArray();
            var a = _tensors[inputs[0]];
            var b = _tensors[inputs[1]];
            // Output bits = the larger input's bits, so its sources are both inputs' sources.
            int output = NewTensor(node.Name, graph.ShapeOf(fused[^1]), Math.Max(a.Bits, b.Bits),
                a.Sources.Concat(b.Sources).Distinct().ToArray(), a.Fixed || b.Fixed, fused);
            _ops.Add(new OpDraft(node.Name, DeployedOpKind.Add, node.Spec, i, fused.ToArray(), null, act, inputs, output,
                0, 0, DeployedParameterLayout.AddBytes, 0));
        }

        private void AddPool(int i)
        {
            var node = graph.Nodes[i];
            int input = TensorOf(node.Inputs[0]);
            var x = _tensors[input];
            int output = NewTensor(node.Name, graph.ShapeOf(i), x.Bits, x.Sources, x.Fixed, [i]);
            var kind = node.Spec switch
            {
                Pool2dSpec { Kind: PoolKind.Max } => DeployedOpKind.MaxPool,
                Pool2dSpec => DeployedOpKind.AvgPool,
                _ => DeployedOpKind.GlobalAvgPool,
            };
            _ops.Add(new OpDraft(node.Name, kind, node.Spec, i, [i], null, null, [input], output, 0, 0, DeployedParameterLayout.PoolBytes, 0));
        }

        private int NewTensor(string name, ActivationShape shape, int bits, string[] sources, bool fixedBits, IEnumerable<int> nodes)
        {
            _tensors.Add(new TensorDraft(name, shape, bits, _ops.Count, sources, fixedBits));
            int id = _tensors.Count - 1;
            foreach (var n in nodes) _tensorOfNode[n] = id;
            return id;
        }

        private DeploymentPlan Finish()
        {
            int lastOp = _ops.Count - 1;
            if (lastOp < 0) throw new ModelException($"Model '{graph.Name}' has no computing layer to deploy.");
            var consumers = _tensors.Select(_ => new List<int>()).ToArray();
            for (int o = 0; o < _ops.Count; o++)
                foreach (var t in _ops[o].Inputs.Distinct()) consumers[t].Add(o);
            int outputTensor = _tensorOfNode[^1];

            var tensors = new DeployedTensor[_tensors.Count];
            for (int t = 0; t < tensors.Length; t++)
            {
                var d = _tensors[t];
                int lastUse = consumers[t].Count > 0 ? Math.Max(d.Producer, consumers[t][^1]) : d.Producer;
                if (t == outputTensor) lastUse = lastOp;
                tensors[t] = new DeployedTensor
                {
                    Id = t, Name = d.Name, Shape = d.Shape, Bits = d.Bits, ProducerOp = d.Producer, ConsumerOps = consumers[t],
                    LastUseOp = Math.Max(lastUse, d.Producer), ViewNodes = d.Views, BitSources = d.Sources, HasFixedBits = d.Fixed,
                };
            }

            var ops = new DeployedOp[_ops.Count];
            for (int o = 0; o < ops.Length; o++)
            {
                var d = _ops[o];
                var live = tensors.Where(t => t.IsLiveAt(o)).Select(t => t.Id).ToArray();
                ops[o] = new DeployedOp
                {
                    Index = o, Name = d.Name, Kind = d.Kind, Spec = d.Spec, Node = d.Node, FusedNodes = d.Fused, BatchNorm = d.Bn,
                    Activation = d.Act, Inputs = d.Inputs, Output = d.Output, Macs = graph.MacsOf(d.Node), WeightCount = d.WeightCount,
                    WeightBits = d.WeightBits,
                    ParameterBytes = d.ParameterBytes, ScratchBytes = d.ScratchBytes, LiveTensors = live,
                    LiveTensorBytes = live.Sum(t => tensors[t].Bytes),
                };
            }
            return new DeploymentPlan(graph, policy, ops, tensors, _tensorOfNode);
        }
    }
}
