using MixBit.Nn.Graph;
using MixBit.Nn.Layers;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn;

/// <summary>
/// Executes a <see cref="Model"/>'s graph: forward in node order, backward in reverse. A node's output gradient
/// is written straight into its buffer when it has one consumer and summed when it has several (residuals).
/// All buffers are owned here and reused, so a training step allocates nothing once shapes are stable.
/// </summary>
public sealed class Network
{
    private readonly ModelGraph _graph;
    private readonly Layer[] _layers;
    private readonly Tensor[] _outputs;
    private readonly Tensor[] _gradients;
    private readonly bool[] _gradientWritten;
    private readonly Tensor[][] _inputScratch;
    private readonly Tensor?[][] _gradScratch;
    private readonly Tensor[] _sumScratch;
    private readonly FusedConvChain?[] _fused;
    private readonly bool[] _fusedAway;
    private readonly int[]?[] _chainNodes;

    /// <param name="layerFactory">Creates the executable layer of a node; later stages (fake quantization) pass their own,
    /// falling back to <see cref="LayerFactory.Create"/>.</param>
    public Network(Model model, int seed = 0, Func<Model, GraphNode, int, Layer>? layerFactory = null)
    {
        var create = layerFactory ?? LayerFactory.Create;
        Model = model;
        _graph = model.Graph;
        _layers = _graph.Nodes.Select((node, i) => create(model, node, seed + i)).ToArray();
        _outputs = new Tensor[_layers.Length];
        _gradients = _layers.Select(_ => new Tensor(0)).ToArray();
        _gradientWritten = new bool[_layers.Length];
        _inputScratch = _graph.Nodes.Select(n => new Tensor[n.Inputs.Length]).ToArray();
        _gradScratch = _graph.Nodes.Select(n => new Tensor?[n.Inputs.Length]).ToArray();
        _sumScratch = Enumerable.Range(0, _graph.Nodes.Max(n => n.Inputs.Length)).Select(_ => new Tensor(0)).ToArray();
        (_fused, _fusedAway, _chainNodes) = FindFusableChains();
        ForwardTicks = new long[_layers.Length];
        BackwardTicks = new long[_layers.Length];
        Parameters = _layers.SelectMany(l => l.Parameters).ToArray();
    }

    public Model Model { get; }

    /// <summary>When set, per-node forward and backward times accumulate in <see cref="ForwardTicks"/> / <see cref="BackwardTicks"/>, in ticks of <see cref="ProfileClock"/>.</summary>
    public bool Profiling { get; set; }

    /// <summary>The clock of <see cref="Profiling"/>: Stopwatch ticks unless set (e.g. thread CPU time on a shared machine).</summary>
    public Func<long> ProfileClock { get; set; } = System.Diagnostics.Stopwatch.GetTimestamp;
    public long[] ForwardTicks { get; }
    public long[] BackwardTicks { get; }
    public IReadOnlyList<Layer> Layers => _layers;
    public IReadOnlyList<ParameterSlot> Parameters { get; }

    /// <summary>
    /// Inference (training: false) runs each conv + BN + ReLU chain as one fused pass (default). The BN and ReLU nodes
    /// of a fused chain then have no output of their own (<see cref="OutputOf"/> throws for them); the chain's last node has its output.
    /// </summary>
    public bool FuseForInference { get; set; } = true;

    /// <summary>
    /// The caller's promise that the parameters will not change while this is set: inference then keeps what it derives
    /// from them (each chain's BatchNorm-folded weights, made on the first pass) instead of deriving it again on every
    /// call, as an inference session does. A training forward withdraws the promise; set it again for the next
    /// inference-only phase. Default: not set, so a change to any parameter is always seen.
    /// </summary>
    public bool ParametersFrozen
    {
        get => _frozenPeriod != 0;
        set => _frozenPeriod = !value ? 0 : _frozenPeriod != 0 ? _frozenPeriod : ++_frozenPeriods;
    }

    private int _frozenPeriod, _frozenPeriods; // each freeze is a new period, so a fold from an earlier one is never reused

    /// <summary>Output of node <paramref name="index"/> from the last forward pass.</summary>
    public Tensor OutputOf(int index) => _outputs[index]
        ?? throw new InvalidOperationException($"Node {index} ('{_graph.Nodes[index].Name}') was fused into its chain in the last forward; set FuseForInference = false to observe it.");

    public Tensor Forward(Tensor input, bool training = false)
    {
        var s = _graph.InputShape;
        if (input.Rank != 4 || input.Dim(1) != s.Channels || input.Dim(2) != s.Height || input.Dim(3) != s.Width)
            throw new ModelException($"Model '{_graph.Name}' expects input [N, {s.Channels}, {s.Height}, {s.Width}], got {input.ShapeString}.");
        if (training) ParametersFrozen = false;
        bool fuse = !training && FuseForInference;
        for (int i = 0; i < _layers.Length; i++)
        {
            if (fuse && _fusedAway[i]) continue; // computed with its chain's head
            var ins = _inputScratch[i];
            var idx = _graph.Nodes[i].Inputs;
            for (int k = 0; k < idx.Length; k++) ins[k] = idx[k] == ModelGraph.GraphInput ? input : _outputs[idx[k]];
            long t0 = Profiling ? ProfileClock() : 0;
            if (fuse && _fused[i] is { } chain)
            {
                var y = chain.Forward(ins[0], _frozenPeriod);
                // Only the chain's tail output exists; the inner nodes' outputs were never formed.
                foreach (int m in _chainNodes[i]!) _outputs[m] = null!;
                _outputs[_chainNodes[i]![^1]] = y;
            }
            else _outputs[i] = _layers[i].Forward(ins, training);
            if (Profiling) ForwardTicks[i] += ProfileClock() - t0;
        }
        return _outputs[^1];
    }

    /// <summary>Back-propagates dL/dOutput through the last training forward; parameter gradients accumulate.</summary>
    public void Backward(Tensor outputGradient)
    {
        Array.Clear(_gradientWritten);
        int last = _layers.Length - 1;
        for (int i = last; i >= 0; i--)
        {
            Tensor dy;
            if (i == last) dy = outputGradient;
            else if (_gradientWritten[i]) dy = _gradients[i];
            else continue; // output not used by anything that reaches the loss
            var idx = _graph.Nodes[i].Inputs;
            var dst = _gradScratch[i];
            for (int k = 0; k < idx.Length; k++)
            {
                int src = idx[k];
                if (src == ModelGraph.GraphInput) { dst[k] = null; continue; }
                // First writer of this gradient: in place; otherwise (a second consumer, or the same tensor read twice
                // by this node, as in x + x) into scratch, summed below.
                bool taken = _gradientWritten[src] || Array.IndexOf(idx, src, 0, k) >= 0;
                dst[k] = taken ? _sumScratch[k] : _gradients[src];
            }
            long t0 = Profiling ? ProfileClock() : 0;
            _layers[i].Backward(dy, dst);
            if (Profiling) BackwardTicks[i] += ProfileClock() - t0;
            for (int k = 0; k < idx.Length; k++)
            {
                int src = idx[k];
                if (src == ModelGraph.GraphInput) continue;
                if (!ReferenceEquals(dst[k], _gradients[src])) TensorPrimitives.Add(_gradients[src].Span, dst[k]!.Span, _gradients[src].Span);
                _gradientWritten[src] = true;
            }
        }
    }

    private (FusedConvChain?[], bool[], int[]?[]) FindFusableChains()
    {
        var fused = new FusedConvChain?[_layers.Length];
        var away = new bool[_layers.Length];
        var nodes = new int[]?[_layers.Length];
        foreach (var chain in LayerChain.All(_graph))
        {
            if (_layers[chain.Node] is not Conv2dLayer conv || chain.Tail == chain.Node) continue;
            var bn = chain.BatchNorm is { } b ? _layers[b] as BatchNorm2dLayer : null;
            var relu = chain.Activation is { } a ? _layers[a] as ReluLayer : null;
            // Fuse only layers of the plain float types: a custom factory's wrappers run as they are.
            if ((chain.BatchNorm is not null && bn is null) || (chain.Activation is not null && relu is null)) continue;
            fused[chain.Node] = new FusedConvChain(conv, bn, relu);
            nodes[chain.Node] = chain.Nodes.ToArray();
            foreach (int m in chain.Nodes.Skip(1)) away[m] = true;
        }
        return (fused, away, nodes);
    }

    public void ZeroGradients()
    {
        foreach (var p in Parameters) p.Gradient.Clear();
    }
}
