namespace MixBit.Nn.Specs;

/// <summary>Kind of a learned or stored tensor of a layer.</summary>
public enum ParameterKind { Weight, Bias, Scale, Shift, RunningMean, RunningVariance }

/// <summary>A tensor a layer owns: its name suffix (e.g. "weight"), shape and kind.</summary>
public sealed record ParameterSpec(string Suffix, int[] Shape, ParameterKind Kind, bool Trainable = true)
{
    public int Elements => Shape.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>The product of the dimensions without overflow (saturating at long.MaxValue).</summary>
    public long LongElements => Shape.Aggregate(1L, (a, b) => a > long.MaxValue / Math.Max(1, b) ? long.MaxValue : a * b);
}

/// <summary>
/// Immutable, validated description of one layer. The float engine, the memory model, the integer engine and
/// the code generator all read the same spec, so they agree by construction.
/// </summary>
public abstract record LayerSpec
{
    /// <summary>Short operator name for tables ("conv", "dwconv", "linear", ...).</summary>
    public abstract string OpName { get; }

    /// <summary>Number of graph inputs the layer takes.</summary>
    public virtual int InputCount => 1;

    /// <summary>Output shape for the given input shapes; throws <see cref="ModelException"/> on mismatch.</summary>
    public abstract ActivationShape OutputShape(IReadOnlyList<ActivationShape> inputs);

    /// <summary>The tensors this layer stores, given its input shapes.</summary>
    public virtual IReadOnlyList<ParameterSpec> Parameters => Array.Empty<ParameterSpec>();

    /// <summary>Multiply-accumulate operations for one sample.</summary>
    public virtual long Macs(IReadOnlyList<ActivationShape> inputs) => 0;
}

/// <summary>A model description that is invalid or not supported.</summary>
public sealed class ModelException(string message) : MixBitException(message);
