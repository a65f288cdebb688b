using MixBit.Data;
using MixBit.Memory;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Layers;
using MixBit.Nn.Specs;

namespace MixBit.Quantization;

/// <summary>
/// A float <see cref="Network"/> of a model with fake quantization for a <see cref="BitPolicy"/>, with one quantizer per
/// tensor of the model's <see cref="DeploymentPlan"/> (named as the tensor), placed on the output of the op's last fused
/// node: the network input at 8 bits on the grid of the raw pixels (<see cref="InputGrid"/>), every quantized layer's output after its fused BN and ReLU
/// (<see cref="LayerChain"/>), every Add (after its fused ReLU) and average pool. Bits and signedness come from the plan
/// (<see cref="DeploymentPlan.BitsOf"/>, <see cref="DeployedTensor.Signed"/>), so the fake-quant network and the memory
/// model cannot disagree; a max pool shares its input's grid and has no quantizer of its own. Weights of every
/// Conv2d/Linear are at the policy's weight bits (BatchNorm folded in or kept, <see cref="QuantizationOptions.BatchNorm"/>).
/// Parameters are the model's tensors (shared): training this network fine-tunes the model. Bits can be changed in place
/// (<see cref="SetPolicy"/>) so a search reuses one network.
/// </summary>
public sealed class FakeQuantNetwork
{
    private readonly ModelGraph _graph;
    private readonly Dictionary<int, LayerChain> _groupOfMain = [];
    private readonly HashSet<int> _foldedBatchNorms = [];
    private readonly Dictionary<int, ActivationQuantizer> _outputQuantizers = [];
    private readonly ActivationQuantizer?[] _quantizerOfTensor;
    private readonly Dictionary<string, QuantizedWeightLayer> _weightLayers = new(StringComparer.Ordinal);
    private readonly List<BatchNorm2dLayer> _keptBatchNorms = [];
    private readonly Dictionary<string, BatchNormParameters> _keptBatchNormOf = new(StringComparer.Ordinal);

    /// <param name="normalization">The input normalisation the network is fed with; it fixes the input grid.</param>
    public FakeQuantNetwork(Model model, BitPolicy policy, QuantizationOptions options, Normalization normalization, int seed = 0, DeploymentPlan? plan = null)
    {
        options.Validate();
        policy.ValidateFor(model.Graph);
        (Model, Options, _graph) = (model, options, model.Graph);
        Plan = plan ?? DeploymentPlan.Build(_graph);
        if (!ReferenceEquals(Plan.Graph, _graph)) throw new ArgumentException("The deployment plan was built for another graph.", nameof(plan));
        foreach (var g in LayerChain.All(_graph))
        {
            _groupOfMain[g.Node] = g;
            if (g.BatchNorm is { } b && options.BatchNorm == BatchNormMode.Fold) _foldedBatchNorms.Add(b);
        }
        _quantizerOfTensor = new ActivationQuantizer?[Plan.Tensors.Count];
        var input = Plan.InputTensor;
        if (normalization.Channels != _graph.InputShape.Channels)
            throw new MixBitException($"The normalisation has {normalization.Channels} channels, model '{_graph.Name}' takes {_graph.InputShape.Channels}.");
        InputQuantizer = _quantizerOfTensor[input.Id] = new ActivationQuantizer(input.Name, BitPolicy.InputBits, input.Signed);
        InputQuantizer.Fix(InputGrid.Of(normalization));
        foreach (var op in Plan.Ops)
        {
            var t = Plan.Tensors[op.Output];
            if (t.GridOf != t.Id) continue; // max pool: its codes are its input's codes
            _outputQuantizers[op.FusedNodes[^1]] = _quantizerOfTensor[t.Id] = new ActivationQuantizer(t.Name, 8, t.Signed);
        }
        Network = new Network(model, seed, CreateLayer);
        ActivationQuantizers = _quantizerOfTensor.OfType<ActivationQuantizer>().ToArray();
        Policy = policy;
        SetPolicy(policy);
    }

    public Model Model { get; }
    public QuantizationOptions Options { get; }
    public Network Network { get; }
    public BitPolicy Policy { get; private set; }

    /// <summary>The plan whose tensors the quantizers sit on.</summary>
    public DeploymentPlan Plan { get; }
    public ActivationQuantizer InputQuantizer { get; }

    /// <summary>Quantizers in plan tensor order: the network input's first.</summary>
    public IReadOnlyList<ActivationQuantizer> ActivationQuantizers { get; }

    /// <summary>The quantizer of plan tensor <paramref name="tensor"/>, or null for a max pool's output (it shares its input's grid).</summary>
    public ActivationQuantizer? QuantizerOf(int tensor) => _quantizerOfTensor[tensor];

    public IReadOnlyDictionary<string, QuantizedWeightLayer> WeightLayers => _weightLayers;

    /// <summary>The BatchNorm kept beside layer <paramref name="layer"/> (not folded), or null.</summary>
    public BatchNormParameters? KeptBatchNorm(string layer) => _keptBatchNormOf.GetValueOrDefault(layer);

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

    /// <summary>Sets every quantizer's bits from <paramref name="policy"/> (same layers as the network's), as the plan derives them.</summary>
    public void SetPolicy(BitPolicy policy)
    {
        policy.ValidateFor(_graph);
        Policy = policy;
        foreach (var (name, layer) in _weightLayers)
        {
            layer.Quantizer.SetBits(policy[name].WeightBits);
            layer.Invalidate();
        }
        for (int t = 0; t < _quantizerOfTensor.Length; t++)
            if (_quantizerOfTensor[t] is { } q) q.Bits = Plan.BitsOf(t, policy);
    }

    private Layer CreateLayer(Model model, GraphNode node, int seed)
    {
        int i = _graph.IndexOf(node.Name);
        Layer layer;
        if (_groupOfMain.TryGetValue(i, out var g))
        {
            MixBit.Tensors.Tensor? bias = node.Spec is Conv2dSpec { HasBias: true } or LinearSpec { HasBias: true } ? model.Parameter(node.ParameterName("bias")) : null;
            var bn = g.BatchNorm is { } b ? BatchNormParameters.Of(model, _graph.Nodes[b]) : null;
            bool folded = bn is not null && _foldedBatchNorms.Contains(g.BatchNorm!.Value);
            var w = new QuantizedWeightLayer(node.Name, node.Spec, model.Parameter(node.ParameterName("weight")), bias, folded ? bn : null, new WeightQuantizer(8, Options));
            // The integer model's bias: whole accumulator steps of the input grid's scale times the weight scale.
            var inputQuantizer = _quantizerOfTensor[Plan.Tensors[Plan.Op(node.Name).Inputs[0]].GridOf]!;
            w.InputScale = () => inputQuantizer.Enabled ? inputQuantizer.Grid.Scale : null;
            if (bn is not null && !folded)
            {
                _keptBatchNormOf[node.Name] = bn;
                w.BiasOffset = c => bn.Affine(c) is var (k, t) && k != 0 ? t / k : 0;
            }
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
