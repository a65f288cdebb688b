using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Quantization;

namespace MixBit.Memory;

/// <summary>Fuses a graph into deployed ops, then derives tensors' consumers, lifetimes, bit sources and live sets.</summary>
internal sealed class DeploymentPlanBuilder(ModelGraph graph)
{
    private readonly List<TensorDraft> _tensors = [];
    private readonly List<OpDraft> _ops = [];
    private readonly int[] _tensorOfNode = Enumerable.Repeat(-1, graph.Count).ToArray();
    private readonly bool[] _absorbed = new bool[graph.Count];

    private sealed record TensorDraft(string Name, ActivationShape Shape, int Producer, string[] Sources, int FloorBits, bool Signed, int GridOf)
    {
        public List<int> Views { get; } = [];
    }

    private sealed record OpDraft(string Name, DeployedOpKind Kind, LayerSpec Spec, int Node, int[] Fused, BatchNorm2dSpec? Bn,
        ReluSpec? Act, int[] Inputs, int Output, long WeightCount, int OutputChannels, long ParameterBytes);

    public DeploymentPlan Build()
    {
        string inputName = graph.IndexOf("input") >= 0 ? "graph_input" : "input";
        _tensors.Add(new TensorDraft(inputName, graph.InputShape, -1, [], BitPolicy.InputBits, Signed: false, GridOf: 0));
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

    private void AddQuantizedLayer(int i)
    {
        var node = graph.Nodes[i];
        var chain = LayerChain.At(graph, i);
        var fused = chain.Nodes.ToArray();
        var bn = chain.BatchNorm is { } b ? (BatchNorm2dSpec)graph.Nodes[b].Spec : null;
        var act = chain.Activation is { } r ? (ReluSpec)graph.Nodes[r].Spec : null;
        foreach (var f in fused.Skip(1)) _absorbed[f] = true;

        int output = NewTensor(node.Name, graph.ShapeOf(chain.Tail), [node.Name], floorBits: 0, signed: act is null, gridOf: null, fused);
        var (kind, weights, outChannels) = node.Spec switch
        {
            Conv2dSpec c => (c.IsDepthwise ? DeployedOpKind.DepthwiseConv2d : DeployedOpKind.Conv2d, (long)c.WeightCount, c.OutChannels),
            LinearSpec l => (DeployedOpKind.Linear, (long)l.WeightCount, l.OutFeatures),
            _ => throw new InvalidOperationException(),
        };
        _ops.Add(new OpDraft(node.Name, kind, node.Spec, i, fused, bn, act, [TensorOf(node.Inputs[0])], output,
            weights, outChannels, DeployedParameterLayout.Bytes(kind, outChannels)));
    }

    private void AddResidual(int i)
    {
        var node = graph.Nodes[i];
        var fused = new List<int> { i };
        ReluSpec? act = null;
        if (LayerChain.SoleReaderOfKind<ReluSpec>(graph, i) is var r and >= 0) { fused.Add(r); act = (ReluSpec)graph.Nodes[r].Spec; _absorbed[r] = true; }
        var inputs = node.Inputs.Select(TensorOf).ToArray();
        var a = _tensors[inputs[0]];
        var b = _tensors[inputs[1]];
        // Output bits = the larger input's bits, so its sources are both inputs' sources.
        int output = NewTensor(node.Name, graph.ShapeOf(fused[^1]), a.Sources.Concat(b.Sources).Distinct().ToArray(),
            Math.Max(a.FloorBits, b.FloorBits), signed: act is null, gridOf: null, fused);
        _ops.Add(new OpDraft(node.Name, DeployedOpKind.Add, node.Spec, i, fused.ToArray(), null, act, inputs, output,
            0, graph.ShapeOf(i).Channels, DeployedParameterLayout.Bytes(DeployedOpKind.Add, graph.ShapeOf(i).Channels)));
    }

    private void AddPool(int i)
    {
        var node = graph.Nodes[i];
        int input = TensorOf(node.Inputs[0]);
        var x = _tensors[input];
        var kind = node.Spec switch
        {
            Pool2dSpec { Kind: PoolKind.Max } => DeployedOpKind.MaxPool,
            Pool2dSpec => DeployedOpKind.AvgPool,
            _ => DeployedOpKind.GlobalAvgPool,
        };
        // A max pool's output codes are some of its input's codes: same grid. Average pools requantize to their own scale.
        int? grid = kind == DeployedOpKind.MaxPool ? x.GridOf : null;
        int output = NewTensor(node.Name, graph.ShapeOf(i), x.Sources, x.FloorBits, x.Signed, grid, [i]);
        _ops.Add(new OpDraft(node.Name, kind, node.Spec, i, [i], null, null, [input], output, 0, graph.ShapeOf(i).Channels,
            DeployedParameterLayout.Bytes(kind, graph.ShapeOf(i).Channels)));
    }

    private int NewTensor(string name, ActivationShape shape, string[] sources, int floorBits, bool signed, int? gridOf, IEnumerable<int> nodes)
    {
        int id = _tensors.Count;
        _tensors.Add(new TensorDraft(name, shape, _ops.Count, sources, floorBits, signed, gridOf ?? id));
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
                Id = t, Name = d.Name, Shape = d.Shape, ProducerOp = d.Producer, ConsumerOps = consumers[t],
                LastUseOp = Math.Max(lastUse, d.Producer), ViewNodes = d.Views, BitSources = d.Sources,
                // The logits leave the device as int8 whatever the policy says of the last layer's activations.
                FloorBits = t == outputTensor ? BitPolicy.AllowedBits[0] : d.FloorBits,
                Signed = d.Signed, GridOf = d.GridOf,
            };
        }

        var ops = new DeployedOp[_ops.Count];
        for (int o = 0; o < ops.Length; o++)
        {
            var d = _ops[o];
            ops[o] = new DeployedOp
            {
                Index = o, Name = d.Name, Kind = d.Kind, Spec = d.Spec, Node = d.Node, FusedNodes = d.Fused, BatchNorm = d.Bn,
                Activation = d.Act, Inputs = d.Inputs, Output = d.Output, OutputShape = tensors[d.Output].Shape, Macs = graph.MacsOf(d.Node), WeightCount = d.WeightCount,
                OutputChannels = d.OutputChannels, ParameterBytes = d.ParameterBytes,
                LiveTensors = tensors.Where(t => t.IsLiveAt(o)).Select(t => t.Id).ToArray(),
            };
        }
        return new DeploymentPlan(graph, ops, tensors, _tensorOfNode);
    }
}
