using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Nn;

/// <summary>
/// A model: its graph and one tensor per stored parameter, keyed by full name ("conv0.weight"). This is what
/// is saved, loaded, exported and quantized; <see cref="Network"/> executes it.
/// </summary>
public sealed class Model
{
    private readonly Dictionary<string, Tensor> _parameters;

    public Model(ModelGraph graph, IReadOnlyDictionary<string, Tensor> parameters)
    {
        Graph = graph;
        _parameters = new(StringComparer.Ordinal);
        foreach (var (name, spec, node) in graph.AllParameters())
        {
            if (!parameters.TryGetValue(name, out var t))
                throw new ModelException($"Parameter '{name}' of layer '{graph.Nodes[node].Name}' is missing.");
            if (!t.HasShape(spec.Shape))
                throw new ModelException($"Parameter '{name}' has shape {t.ShapeString}, layer needs [{string.Join(", ", spec.Shape)}].");
            _parameters[name] = t;
        }
    }

    public ModelGraph Graph { get; }
    public IReadOnlyDictionary<string, Tensor> Parameters => _parameters;

    public Tensor Parameter(string name) => _parameters.TryGetValue(name, out var t)
        ? t : throw new ModelException($"Unknown parameter '{name}'.");

    /// <summary>A model with freshly initialised parameters: He-normal (fan-out) convs, uniform linear, BN (1, 0, 0, 1).</summary>
    public static Model Initialize(ModelGraph graph, int seed)
    {
        var rng = new Random(seed);
        var parameters = new Dictionary<string, Tensor>();
        foreach (var (name, spec, node) in graph.AllParameters())
        {
            var t = new Tensor(spec.Shape);
            var layer = graph.Nodes[node].Spec;
            switch (spec.Kind)
            {
                case ParameterKind.Weight when layer is Conv2dSpec c:
                    FillNormal(t.Span, rng, MathF.Sqrt(2f / (c.OutChannels / c.Groups * c.KernelH * c.KernelW)));
                    break;
                case ParameterKind.Weight when layer is LinearSpec l:
                    FillUniform(t.Span, rng, 1f / MathF.Sqrt(l.InFeatures));
                    break;
                case ParameterKind.Bias when layer is LinearSpec l:
                    FillUniform(t.Span, rng, 1f / MathF.Sqrt(l.InFeatures));
                    break;
                case ParameterKind.Scale or ParameterKind.RunningVariance:
                    t.Span.Fill(1f);
                    break;
            }
            parameters[name] = t;
        }
        return new Model(graph, parameters);
    }

    /// <summary>Deep copy (graph shared, it is immutable).</summary>
    public Model Clone() => new(Graph, _parameters.ToDictionary(p => p.Key, p => p.Value.Clone()));

    private static void FillNormal(Span<float> span, Random rng, float std)
    {
        for (int i = 0; i < span.Length; i++)
        {
            // Box-Muller
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            span[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    private static void FillUniform(Span<float> span, Random rng, float bound)
    {
        for (int i = 0; i < span.Length; i++) span[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
    }
}
