using System.Diagnostics;
using MixBit.Nn;
using MixBit.Nn.Training;
using MixBit.Quantization;
using MixBit.Workflows;

namespace MixBit.Bench;

/// <summary>
/// Calibrate-and-evaluate vs float evaluation on 2,000 validation images (usage: --quantize [--model M] [--repeats N]).
/// Reports the median of N runs of: one float evaluation pass; the first calibrate-and-evaluate of a model (float
/// calibration statistics and float reference logits are computed here, once per model); and a further policy
/// evaluation (what a search pays per candidate: bits, cached ranges, one fake-quantized pass), for a bit-width whose
/// MSE ranges are already cached and for one seen for the first time.
/// </summary>
public static class QuantizeBench
{
    public static int Run(string[] args)
    {
        string model = ArgAfter(args, "--model") ?? "/work/trainrun/default/model.onnx";
        int repeats = int.Parse(ArgAfter(args, "--repeats") ?? "3");
        var options = new QuantizationOptions();
        var data = QuantizeWorkflow.Load(model, null, 5000, EvaluationSplit.Validation, 2000, options, 0);
        var graph = data.Model.Graph;
        Console.WriteLine($"{graph.Name}, {data.Evaluation.Count} validation images, calibration {options.CalibrationBatches} x {options.CalibrationBatchSize}, threads {Tensors.Workers.Count}");

        double Time(Action a) { var sw = Stopwatch.StartNew(); a(); return sw.Elapsed.TotalSeconds; }
        double Median(Func<double> f) => Enumerable.Range(0, repeats).Select(_ => f()).Order().ElementAt(repeats / 2);

        var floatNet = new Network(data.Model);
        Evaluator.Evaluate(floatNet, data.Evaluation, data.Normalization); // warm-up (JIT, buffers)
        double tFloat = Median(() => Time(() => Evaluator.Evaluate(floatNet, data.Evaluation, data.Normalization)));

        var w8a8 = BitPolicy.Uniform(graph, 8, 8);
        PolicyEvaluator evaluator = null!;
        double tCold = Median(() => Time(() =>
        {
            evaluator = new PolicyEvaluator(data.Model, data.Normalization, data.Calibration, data.Evaluation, options);
            evaluator.Evaluate(w8a8);
        }));
        double tWarm = Median(() => Time(() => evaluator.Evaluate(w8a8)));
        var mixed = graph.Nodes.Where(n => BitPolicy.IsQuantizable(n.Spec)).Select(n => n.Name).ToArray();
        double tNewBits = Time(() => evaluator.Evaluate(BitPolicy.Uniform(graph, 4, 4)));
        double tCachedMixed = Median(() => Time(() => evaluator.Evaluate(BitPolicy.Uniform(graph, 4, 4).With(mixed[0], 8, 8).With(mixed[^1], 8, 8))));

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
