using System.Diagnostics;
using MixBit.Nn;
using MixBit.Nn.Training;
using MixBit.Quantization;
using MixBit.Workflows;

namespace MixBit.Bench;

/// <summary>
/// Calibrate-and-evaluate vs float evaluation on 2,000 validation images (usage: --quantize [--model M] [--repeats N]).
/// Reports: the first calibrate-and-evaluate of a model (float calibration statistics and float reference logits are
/// computed here, once per model); a policy with bit-widths seen for the first time (MSE range searches); and the
/// median of N alternating runs of one float evaluation pass and one further policy evaluation (what a search pays per
/// candidate: bits, cached ranges, one fake-quantized pass).
/// </summary>
public static class QuantizeBench
{
    public static int Run(string[] args, string repoRoot)
    {
        // Default: the model the README's main job trains (scripts/run-default.sh).
        string model = ArgAfter(args, "--model") ?? Path.Combine(repoRoot, "runs", "default", "model.onnx");
        int repeats = int.Parse(ArgAfter(args, "--repeats") ?? "5");
        var options = new QuantizationOptions();
        var data = QuantizeWorkflow.Load(model, null, 5000, EvaluationSplit.Validation, 2000, options, 0);
        var graph = data.Model.Graph;
        Console.WriteLine($"{graph.Name}, {data.Evaluation.Count} validation images, calibration {options.CalibrationBatches} x {options.CalibrationBatchSize}, threads {Tensors.Workers.Count}");

        double Time(Action a) { var sw = Stopwatch.StartNew(); a(); return sw.Elapsed.TotalSeconds; }

        // Float and warm passes alternate, so load from other processes on a shared machine hits both alike.
        var floatNet = new Network(data.Model);
        var w8a8 = BitPolicy.Uniform(graph, 8, 8);
        var w4a4 = BitPolicy.Uniform(graph, 4, 4);
        var layers = w8a8.Layers;
        var mixed = w4a4.With(layers[0], 8, 8).With(layers[^1], 8, 8);
        var sw = Stopwatch.StartNew();
        var evaluator = new PolicyEvaluator(data.Model, data.Normalization, data.Calibration, data.Evaluation, options);
        evaluator.Evaluate(w8a8);
        double tCold = sw.Elapsed.TotalSeconds;
        double tNewBits = Time(() => evaluator.Evaluate(w4a4));
        Evaluator.Evaluate(floatNet, data.Evaluation, data.Normalization); // warm-up (JIT, buffers)
        var floats = new List<double>(); var warm = new List<double>(); var mixedTimes = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            floats.Add(Time(() => Evaluator.Evaluate(floatNet, data.Evaluation, data.Normalization)));
            warm.Add(Time(() => evaluator.Evaluate(w8a8)));
            mixedTimes.Add(Time(() => evaluator.Evaluate(mixed)));
        }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        double tFloat = Median(floats), tWarm = Median(warm), tCachedMixed = Median(mixedTimes);

        Console.WriteLine($"float evaluation pass:                         {tFloat * 1000,8:F0} ms");
        Console.WriteLine($"first calibrate-and-evaluate (cold, per model): {tCold * 1000,8:F0} ms  ({tCold / tFloat:F2}x)");
        Console.WriteLine($"calibrate-and-evaluate, W8A8 (warm):           {tWarm * 1000,8:F0} ms  ({tWarm / tFloat:F2}x)");
        Console.WriteLine($"calibrate-and-evaluate, W4A4 first time:       {tNewBits * 1000,8:F0} ms  ({tNewBits / tFloat:F2}x)");
        Console.WriteLine($"calibrate-and-evaluate, mixed 4/8 (cached):    {tCachedMixed * 1000,8:F0} ms  ({tCachedMixed / tFloat:F2}x)");
        return 0;
    }

    private static string? ArgAfter(string[] args, string flag)
    {
        int i = Array.IndexOf(args, flag);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
