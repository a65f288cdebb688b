using System.Diagnostics;
using MixBit.Data;
using MixBit.Nn;
using MixBit.Tensors;

namespace MixBit.Quantization;

/// <summary>
/// Calibrate-and-evaluate for many policies of one model: (policy) -> accuracy, float accuracy, top-1 agreement and
/// mean KL vs the float model. The expensive policy-independent work happens once: normalised evaluation batches,
/// the float reference logits and the float calibration statistics. Each <see cref="Evaluate"/> then sets bits,
/// applies cached ranges and runs one fake-quantized pass. The result depends only on the policy (not on what was
/// evaluated before), so a search can call it in any order.
/// </summary>
public sealed class PolicyEvaluator
{
    private readonly FakeQuantNetwork _network;
    private readonly List<(Tensor Images, int[] Labels)> _batches = [];
    private readonly float[] _referenceLogits;
    private readonly int _classes, _count;
    private readonly LearnedRanges? _learned;

    /// <param name="learned">A fine-tuned model's learned ranges, which replace the calibrated ones.</param>
    public PolicyEvaluator(Model model, Normalization normalization, ImageDataset calibration, ImageDataset evaluation,
        QuantizationOptions options, LearnedRanges? learned = null, int batchSize = 256)
    {
        options.Validate();
        if (evaluation.Count == 0) throw new MixBitException("The evaluation set is empty.");
        _network = new FakeQuantNetwork(model, BitPolicy.Uniform(model.Graph, 8, 8), options, normalization);
        _learned = learned;
        Statistics = CalibrationStatistics.Collect(_network,
            CalibrationStatistics.Batches(calibration, normalization, options.CalibrationBatchSize, options.CalibrationBatches));

        var it = new BatchIterator(evaluation, normalization, BatchOptions.Evaluation(batchSize));
        var labels = it.CreateLabelBuffer();
        int n;
        var x = it.CreateImageTensor();
        while ((n = it.Next(x, labels)) > 0) _batches.Add((x.Clone(), labels[..n]));
        _count = evaluation.Count;
        _classes = model.Graph.OutputShape.Channels;
        _referenceLogits = new float[_count * _classes];

        _network.QuantizeWeights = false;
        _network.QuantizeActivations = false;
        int offset = 0, correct = 0;
        foreach (var (images, l) in _batches)
        {
            var y = _network.Network.Forward(images, training: false);
            y.Span.CopyTo(_referenceLogits.AsSpan(offset * _classes));
            correct += CountCorrect(y.Span, l);
            offset += l.Length;
        }
        FloatAccuracy = (float)correct / _count;
        _network.QuantizeWeights = true;
        _network.QuantizeActivations = true;
    }

    public CalibrationStatistics Statistics { get; }
    public float FloatAccuracy { get; }
    public int Samples => _count;
    public FakeQuantNetwork Network => _network;

    /// <param name="prepare">Runs on the calibrated network before it is evaluated (e.g. a short fine-tune); whatever it
    /// changes in the model's parameters is the caller's to restore.</param>
    public PolicyEvaluationResult Evaluate(BitPolicy policy, Action<FakeQuantNetwork>? prepare = null)
    {
        var clock = Stopwatch.StartNew();
        _network.SetPolicy(policy);
        Statistics.ApplyTo(_network);
        _learned?.ApplyTo(_network);
        if (prepare is not null)
        {
            prepare(_network);
            foreach (var w in _network.WeightLayers.Values) w.Invalidate();
        }
        int offset = 0, correct = 0, agree = 0;
        double kl = 0;
        foreach (var (images, labels) in _batches)
        {
            var y = _network.Network.Forward(images, training: false);
            correct += CountCorrect(y.Span, labels);
            var (a, k) = FidelityMetrics.Compare(_referenceLogits.AsSpan(offset * _classes, labels.Length * _classes), y.Span, labels.Length, _classes);
            agree += a; kl += k;
            offset += labels.Length;
        }
        return new((float)correct / _count, FloatAccuracy, (float)agree / _count, kl / _count, _count, clock.Elapsed.TotalSeconds);
    }

    private int CountCorrect(ReadOnlySpan<float> logits, int[] labels)
    {
        int c = 0;
        for (int i = 0; i < labels.Length; i++)
            if (TensorPrimitives.IndexOfMax(logits.Slice(i * _classes, _classes)) == labels[i]) c++;
        return c;
    }
}
