using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Layers;
using MixBit.Nn.Specs;

namespace MixBit.Quantization;

/// <summary>
/// A float <see cref="Network"/> of a model with fake quantization for a <see cref="BitPolicy"/>: every Conv2d/Linear's
/// weights at the policy's weight bits (BatchNorm folded in or kept, <see cref="QuantizationOptions.BatchNorm"/>); every
/// quantizable layer's output, after its fused BN and ReLU (<see cref="LayerChain"/>), at its activation bits;
/// the network input at 8 bits on its calibrated range; an Add (or the ReLU fused after it) at the larger of its inputs'
/// bits; average pools at their input's bits. Outputs are unsigned after a ReLU, signed elsewhere. Parameters are the
/// model's tensors (shared): training this network fine-tunes the model. Bits can be changed in place
/// (<see cref="SetPolicy"/>) so a search reuses one network.
/// </summary>
public sealed class FakeQuantNetwork
{
    private readonly ModelGraph _graph;
    private readonly Dictionary<int, LayerChain> _groupOfMain = [];
    private readonly HashSet<int> _foldedBatchNorms = [];
    private readonly Dictionary<int, ActivationQuantizer> _outputQuantizers = [];
    private readonly Dictionary<string, QuantizedWeightLayer> _weightLayers = new(StringComparer.Ordinal);
    private readonly List<BatchNorm2dLayer> _keptBatchNorms = [];

    public FakeQuantNetwork(Model model, BitPolicy policy, QuantizationOptions options, int seed = 0)
    {
        options.Validate();
        policy.ValidateFor(model.Graph);
        (Model, Options, _graph) = (model, options, model.Graph);
        foreach (var g in LayerChain.All(_graph))
        {
            _groupOfMain[g.Node] = g;
            if (g.BatchNorm is { } b && options.BatchNorm == BatchNormMode.Fold) _foldedBatchNorms.Add(b);
        }
        InputQuantizer = new ActivationQuantizer("input", BitPolicy.InputBits, signed: false);
        CreateOutputQuantizers();
        Network = new Network(model, seed, CreateLayer);
        ActivationQuantizers = new[] { InputQuantizer }.Concat(_outputQuantizers.OrderBy(p => p.Key).Select(p => p.Value)).ToArray();
        Policy = policy;
        SetPolicy(policy);
    }

    public Model Model { get; }
    public QuantizationOptions Options { get; }
    public Network Network { get; }
    public BitPolicy Policy { get; private set; }
    public ActivationQuantizer InputQuantizer { get; }

    /// <summary>The network input's quantizer first, then every output quantizer in node order.</summary>
    public IReadOnlyList<ActivationQuantizer> ActivationQuantizers { get; }
    public IReadOnlyDictionary<string, QuantizedWeightLayer> WeightLayers => _weightLayers;

    /// <summary>Turns weight quantization on or off (off: float weights, BN still folded if so chosen).</summary>
    public bool QuantizeWeights
    {
        set { foreach (var w in _weightLayers.Values) { w.Enabled = value; w.Invalidate(); } }
    }

    public bool QuantizeActivations
    {
        set { foreach (var q in ActivationQuantizers) q.Enabled = value; }
    }

    /// <summary>Stops BatchNorm statistics from following training batches (folded and kept BNs alike).</summary>
    public void FreezeBatchNormStatistics(bool freeze)
    {
        foreach (var w in _weightLayers.Values) w.FreezeStatistics = freeze;
        foreach (var b in _keptBatchNorms) b.FreezeStatistics = freeze;
    }

    /// <summary>Sets every quantizer's bits from <paramref name="policy"/> (same layers as the network's).</summary>
    public void SetPolicy(BitPolicy policy)
    {
        policy.ValidateFor(_graph);
        Policy = policy;
        foreach (var (name, layer) in _weightLayers)
        {
            layer.Quantizer.SetBits(policy[name].WeightBits);
            layer.Invalidate();
        }
        var bits = NodeBits(policy);
        foreach (var (node, q) in _outputQuantizers) q.Bits = bits[node];
    }

    /// <summary>Output bits of every node under <paramref name="policy"/>, as the memory model assigns them.</summary>
    public int[] NodeBits(BitPolicy policy)
    {
        var bits = new int[_graph.Count];
        int BitsOf(int node) => node == ModelGraph.GraphInput ? BitPolicy.InputBits : bits[node];
        for (int i = 0; i < _graph.Count; i++)
        {
            var node = _graph.Nodes[i];
            if (_groupOfMain.TryGetValue(i, out var g))
            {
                foreach (var n in g.Nodes) bits[n] = policy[g.Name].ActivationBits;
                continue;
            }
            if (bits[i] != 0) continue; // inside a group, already set
            bits[i] = node.Spec is AddSpec ? node.Inputs.Max(BitsOf) : BitsOf(node.Inputs[0]);
        }
        return bits;
    }

    private void CreateOutputQuantizers()
    {
        var signed = new bool[_graph.Count];
        var inGroup = new HashSet<int>(_groupOfMain.Values.SelectMany(g => g.Nodes.Skip(1)));
        bool SignedOf(int node) => node != ModelGraph.GraphInput && signed[node];
        for (int i = 0; i < _graph.Count; i++)
        {
            var node = _graph.Nodes[i];
            if (_groupOfMain.TryGetValue(i, out var g))
            {
                bool s = g.Activation is null;
                foreach (var n in g.Nodes) signed[n] = s;
                _outputQuantizers[g.Tail] = new ActivationQuantizer(_graph.Nodes[g.Tail].Name, 8, s);
                continue;
            }
            if (inGroup.Contains(i)) continue;
            switch (node.Spec)
            {
                case AddSpec:
                    int relu = LayerChain.SoleReaderOfKind<ReluSpec>(_graph, i);
                    signed[i] = true;
                    // The ReLU after an Add is its clamp: quantize once, after it (unsigned).
                    if (relu < 0) _outputQuantizers[i] = new ActivationQuantizer(node.Name, 8, true);
                    break;
                case ReluSpec:
                    signed[i] = false;
                    if (node.Inputs[0] >= 0 && _graph.Nodes[node.Inputs[0]].Spec is AddSpec
                        && LayerChain.SoleReaderOfKind<ReluSpec>(_graph, node.Inputs[0]) == i)
                        _outputQuantizers[i] = new ActivationQuantizer(node.Name, 8, false);
                    break;
                case Pool2dSpec { Kind: PoolKind.Average } or GlobalAvgPoolSpec:
                    signed[i] = SignedOf(node.Inputs[0]);
                    _outputQuantizers[i] = new ActivationQuantizer(node.Name, 8, signed[i]);
                    break;
                default:
                    signed[i] = SignedOf(node.Inputs[0]);
                    break;
            }
        }
    }

    private Layer CreateLayer(Model model, GraphNode node, int seed)
    {
        int i = _graph.IndexOf(node.Name);
        Layer layer;
        if (_groupOfMain.TryGetValue(i, out var g))
        {
            MixBit.Tensors.Tensor? bias = node.Spec is Conv2dSpec { HasBias: true } or LinearSpec { HasBias: true } ? model.Parameter(node.ParameterName("bias")) : null;
            FoldedBatchNorm? bn = null;
            if (g.BatchNorm is { } b && _foldedBatchNorms.Contains(b))
            {
                var bnNode = _graph.Nodes[b];
                MixBit.Tensors.Tensor P(string s) => model.Parameter(bnNode.ParameterName(s));
                bn = new FoldedBatchNorm(bnNode.Name, (BatchNorm2dSpec)bnNode.Spec, P("weight"), P("bias"), P("running_mean"), P("running_var"));
            }
            var w = new QuantizedWeightLayer(node.Name, node.Spec, model.Parameter(node.ParameterName("weight")), bias, bn, new WeightQuantizer(8, Options));
            _weightLayers[node.Name] = w;
            layer = w;
        }
        else if (_foldedBatchNorms.Contains(i)) layer = new IdentityLayer();
        else
        {
            layer = LayerFactory.Create(model, node, seed);
            if (layer is BatchNorm2dLayer bnLayer) _keptBatchNorms.Add(bnLayer);
        }
        var input = node.Inputs[0] == ModelGraph.GraphInput ? InputQuantizer : null;
        var output = _outputQuantizers.GetValueOrDefault(i);
        return input is null && output is null ? layer : new FakeQuantLayer(layer, node.Inputs.Length, input, output);
    }
}
