using MixBit.Nn.Graph;
using MixBit.Nn.Specs;

namespace MixBit.Quantization;

/// <summary>Bit-widths of one quantizable layer: its weights, and its output after the fused BatchNorm/activation.</summary>
public readonly record struct LayerBits(int WeightBits, int ActivationBits)
{
    public override string ToString() => $"w{WeightBits}/a{ActivationBits}";
}

/// <summary>
/// Immutable mixed-precision policy: for every quantizable layer (Conv2d or Linear node, keyed by node name) the
/// weight and activation bit-widths, each in {2, 4, 8}. The network input is always 8-bit; pools, global average
/// pool and flatten keep their input's bits; an Add output takes the larger of its two inputs' bits.
/// </summary>
public sealed partial class BitPolicy
{
    /// <summary>The bit-widths the integer runtime supports, widest first.</summary>
    public static IReadOnlyList<int> AllowedBits { get; } = [8, 4, 2];

    /// <summary>Bit-width of the network input.</summary>
    public const int InputBits = 8;

    private readonly string[] _layers;
    private readonly Dictionary<string, LayerBits> _bits;

    private BitPolicy(string modelName, string[] layers, Dictionary<string, LayerBits> bits)
        => (ModelName, _layers, _bits) = (modelName, layers, bits);

    /// <summary>
    /// A policy for <paramref name="graph"/>; every quantizable layer must be given exactly once, with allowed bits.
    /// </summary>
    public static BitPolicy Create(ModelGraph graph, IEnumerable<KeyValuePair<string, LayerBits>> bits)
    {
        var layers = QuantizableLayers(graph).ToArray();
        var known = layers.ToHashSet(StringComparer.Ordinal);
        var map = new Dictionary<string, LayerBits>(StringComparer.Ordinal);
        foreach (var (name, b) in bits)
        {
            if (!known.Contains(name))
                throw new MixBitException($"Bit policy names layer '{name}', which is not a Conv2d/Linear layer of model '{graph.Name}'; use one of: {Preview(layers)}.");
            if (!map.TryAdd(name, b))
                throw new MixBitException($"Bit policy gives layer '{name}' twice; give each layer once.");
            Check(name, b);
        }
        var missing = layers.Where(l => !map.ContainsKey(l)).ToArray();
        if (missing.Length > 0)
            throw new MixBitException($"Bit policy has no bits for layer '{missing[0]}'{(missing.Length > 1 ? $" (and {missing.Length - 1} more)" : "")}; every Conv2d/Linear layer needs weight and activation bits.");
        return new BitPolicy(graph.Name, layers, map);
    }

    /// <summary>Every quantizable layer at <paramref name="weightBits"/> / <paramref name="activationBits"/>.</summary>
    public static BitPolicy Uniform(ModelGraph graph, int weightBits, int activationBits)
        => Create(graph, QuantizableLayers(graph).Select(l => KeyValuePair.Create(l, new LayerBits(weightBits, activationBits))));

    /// <summary>Names of the Conv2d and Linear nodes, in execution order.</summary>
    public static IEnumerable<string> QuantizableLayers(ModelGraph graph)
        => graph.Nodes.Where(n => IsQuantizable(n.Spec)).Select(n => n.Name);

    public static bool IsQuantizable(LayerSpec spec) => MixBit.Nn.Graph.LayerChain.IsHead(spec);

    public static bool IsAllowed(int bits) => bits is 2 or 4 or 8;

    /// <summary>Name of the model the policy was made for (informative; layers are what is validated).</summary>
    public string ModelName { get; }

    /// <summary>Quantizable layer names in execution order.</summary>
    public IReadOnlyList<string> Layers => _layers;

    public LayerBits this[string layer] => _bits.TryGetValue(layer, out var b)
        ? b : throw new MixBitException($"Bit policy has no layer '{layer}'; use one of: {Preview(_layers)}.");

    public bool Contains(string layer) => _bits.ContainsKey(layer);

    /// <summary>A copy with <paramref name="layer"/> set to the given bits.</summary>
    public BitPolicy With(string layer, int weightBits, int activationBits)
    {
        _ = this[layer];
        var b = new LayerBits(weightBits, activationBits);
        Check(layer, b);
        var map = new Dictionary<string, LayerBits>(_bits, StringComparer.Ordinal) { [layer] = b };
        return new BitPolicy(ModelName, _layers, map);
    }

    public BitPolicy WithWeightBits(string layer, int weightBits) => With(layer, weightBits, this[layer].ActivationBits);
    public BitPolicy WithActivationBits(string layer, int activationBits) => With(layer, this[layer].WeightBits, activationBits);

    /// <summary>Throws unless this policy covers exactly the quantizable layers of <paramref name="graph"/>.</summary>
    public void ValidateFor(ModelGraph graph) => Create(graph, _layers.Select(l => KeyValuePair.Create(l, _bits[l])));

    public bool SameBitsAs(BitPolicy other)
        => _layers.SequenceEqual(other._layers) && _layers.All(l => _bits[l] == other._bits[l]);

    public override string ToString() => string.Join(", ", _layers.Select(l => $"{l}={_bits[l]}"));

    private static void Check(string layer, LayerBits b)
    {
        if (!IsAllowed(b.WeightBits))
            throw new MixBitException($"Layer '{layer}' has weight bits {b.WeightBits}; allowed values are 2, 4 and 8.");
        if (!IsAllowed(b.ActivationBits))
            throw new MixBitException($"Layer '{layer}' has activation bits {b.ActivationBits}; allowed values are 2, 4 and 8.");
    }

    private static string Preview(string[] layers)
        => layers.Length <= 6 ? string.Join(", ", layers) : string.Join(", ", layers.Take(6)) + ", ...";
}
