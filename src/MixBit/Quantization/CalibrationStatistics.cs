using MixBit.Data;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>
/// What every quantization point of a <see cref="FakeQuantNetwork"/> sees in float on a few calibration batches, and
/// the ranges derived from it. Ranges are cached per (point, bits), so applying them for a new policy costs almost
/// nothing: a search calibrates once and evaluates many policies. Float statistics (weights and activations
/// unquantized) do not depend on the policy, which is what makes the cache valid.
/// </summary>
public sealed class CalibrationStatistics
{
    private readonly Dictionary<string, ActivationObserver> _observers;
    private readonly Dictionary<(string, int), float> _ranges = [];

    private CalibrationStatistics(Dictionary<string, ActivationObserver> observers, QuantizationOptions options)
        => (_observers, Options) = (observers, options);

    public QuantizationOptions Options { get; }
    public IReadOnlyDictionary<string, ActivationObserver> Observers => _observers;

    /// <summary>Runs float forwards over <paramref name="batches"/> with an observer on every quantization point.</summary>
    public static CalibrationStatistics Collect(FakeQuantNetwork network, IEnumerable<Tensor> batches)
    {
        var observers = network.ActivationQuantizers.ToDictionary(q => q.Name, _ => new ActivationObserver(), StringComparer.Ordinal);
        foreach (var q in network.ActivationQuantizers) q.Observer = observers[q.Name];
        network.QuantizeWeights = false;
        network.QuantizeActivations = false;
        try
        {
            foreach (var x in batches) network.Network.Forward(x, training: false);
        }
        finally
        {
            foreach (var q in network.ActivationQuantizers) q.Observer = null;
            network.QuantizeWeights = true;
            network.QuantizeActivations = true;
        }
        if (observers.Values.Any(o => o.IsEmpty)) throw new MixBitException("Calibration saw no images; give it at least one calibration batch.");
        return new CalibrationStatistics(observers, network.Options);
    }

    /// <summary>Normalised calibration batches: the first <c>batches x batchSize</c> images of <paramref name="data"/>.</summary>
    public static IEnumerable<Tensor> Batches(ImageDataset data, Normalization normalization, int batchSize, int batches)
    {
        var it = new BatchIterator(data, normalization, BatchOptions.Evaluation(batchSize));
        var x = it.CreateImageTensor();
        var labels = it.CreateLabelBuffer();
        for (int b = 0; b < batches && it.Next(x, labels) > 0; b++) yield return x;
    }

    /// <summary>Sets every clip value for the network's current bits (the input grid is fixed by the normalisation, <see cref="InputGrid"/>).</summary>
    public void ApplyTo(FakeQuantNetwork network)
    {
        foreach (var q in network.ActivationQuantizers.Skip(1))
        {
            if (!_ranges.TryGetValue((q.Name, q.Bits), out float range))
                _ranges[(q.Name, q.Bits)] = range = _observers[q.Name].Range(Options.ActivationRange, q.Bits, q.Signed, Options.Percentile);
            q.Alpha = range;
        }
    }
}
