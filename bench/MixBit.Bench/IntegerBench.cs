using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using MixBit.Data;
using MixBit.Integer;
using MixBit.Models.Onnx;
using MixBit.Tensors;

namespace MixBit.Bench;

/// <summary>
/// The integer engine against ONNX Runtime running the QDQ export of the same integer model, on the Fashion-MNIST test
/// set, 2 threads each, alternating rounds in the same run; medians and their ratio. --profile prints the engine's time
/// per op instead.
/// </summary>
public static class IntegerBench
{
    private const int OrtBatch = 256;

    /// <summary>
    /// Converts a model file as `mixbit convert` does (--policy P.json or --w-bits/--a-bits, else the policy a fine-tuned
    /// model stores) and runs its QDQ export in ONNX Runtime on the test set: top-1 agreement with the fake-quant network
    /// and with the integer engine.
    /// </summary>
    public static int Agreement(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int? Bits(string name) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
        string folder = Directory.CreateTempSubdirectory("mixbit-qdq-").FullName;
        try
        {
            var request = new MixBit.Workflows.ConvertRequest(Arg("--model") ?? throw new ArgumentException("--model M.onnx"),
                new MixBit.Workflows.PolicySource(Arg("--policy"), Bits("--w-bits"), Bits("--a-bits")), new MixBit.Quantization.QuantizationOptions(),
                Path.Combine(folder, "m.mbq"), QdqPath: Path.Combine(folder, "m.onnx"));
            var o = MixBit.Workflows.ConvertWorkflow.Run(request);
            var test = FashionMnist.Load(null).Test;
            using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
            using var session = new InferenceSession(o.QdqPath!, options);
            var nchw = test.Pixels.ToArray();
            int classes = o.Model.Output.Elements, agreeFake = 0, agreeInteger = 0, correct = 0;
            var integer = IntegerEvaluation.Run(new IntegerEngine(o.Model), test);
            using var runOptions = new RunOptions();
            for (int start = 0; start < test.Count; start += OrtBatch)
            {
                int n = Math.Min(OrtBatch, test.Count - start);
                using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<byte>(nchw, start * test.SampleSize, n * test.SampleSize), [n, test.Channels, test.Height, test.Width]);
                using var results = session.Run(runOptions, [QdqExporter.InputName], [input], [QdqExporter.OutputName]);
                var logits = results[0].GetTensorDataAsSpan<float>();
                for (int i = 0; i < n; i++)
                {
                    int predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(i * classes, classes));
                    if (predicted == o.Fidelity.FakeQuantPredicted[start + i]) agreeFake++;
                    if (predicted == integer.Predicted(start + i)) agreeInteger++;
                    if (predicted == test.Label(start + i)) correct++;
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{o.PolicySummary}: ONNX Runtime on the QDQ export: accuracy {100.0 * correct / test.Count:F2} %, top-1 agreement with the fake-quant model {100.0 * agreeFake / test.Count:F2} %, with the integer engine {100.0 * agreeInteger / test.Count:F2} %; fake-quant {100 * o.Fidelity.FakeQuantAccuracy:F2} %, integer {100 * o.Fidelity.IntegerAccuracy:F2} % ({test.Count:N0} test images)"));
            return 0;
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    public static int Run(string[] args, string repoRoot)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).DefaultIfEmpty(fallback).First();
        var paths = args.SkipWhile(a => a != "--models").Skip(1).TakeWhile(a => !a.StartsWith("--")).ToArray();
        if (paths.Length == 0) paths = [Arg("--model", Path.Combine(repoRoot, "runs", "default", "w8a8.mbq"))];
        int rounds = int.Parse(Arg("--rounds", "5"), CultureInfo.InvariantCulture);
        var test = FashionMnist.Load(null).Test;
        var rows = new List<string>();
        foreach (var path in paths)
        {
            var model = QuantizedModelFile.Load(path);
            var engine = new IntegerEngine(model);
            var nhwc = ImagePixels.Nhwc(test);
            var outputs = new int[test.Count * engine.OutputElements];
            if (args.Contains("--profile")) { Profile(engine, nhwc, test.Count, outputs); continue; }

            // The exported model (UINT8 8-bit weights: exact in ONNX Runtime), and for an 8-bit-weight model also its INT8 form
            // (ONNX Runtime's faster uint8 x int8 kernels, which saturate int16 pairs and so may round differently).
            var variants = new List<(string Name, byte[] Model)> { ("QDQ export", QdqExporter.Export(model).ToByteArray()) };
            if (model.Ops.OfType<QuantizedLayer>().Any(l => l.WeightBits == 8))
                variants.Add(("INT8-weight variant", QdqExporter.Export(model, int8Weights: true).ToByteArray()));
            using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
            var sessions = variants.Select(v => new InferenceSession(v.Model, options)).ToArray();
            var nchw = test.Pixels.ToArray();
            var ours = new List<double>();
            var ort = variants.Select(_ => new List<double>()).ToArray();
            engine.Run(nhwc, test.Count, outputs); // warm-up: JIT and arenas
            foreach (var s in sessions) OrtImagesPerSecond(s, nchw, test);
            for (int r = 0; r < rounds; r++)
            {
                var clock = Stopwatch.StartNew();
                engine.Run(nhwc, test.Count, outputs);
                ours.Add(test.Count / clock.Elapsed.TotalSeconds);
                for (int v = 0; v < sessions.Length; v++) ort[v].Add(OrtImagesPerSecond(sessions[v], nchw, test));
                Console.Error.WriteLine($"{Path.GetFileName(path)} round {r + 1}/{rounds}: integer engine {ours[^1]:F0} img/s, ONNX Runtime {string.Join(", ", ort.Select(o => $"{o[^1]:F0}"))} img/s");
            }
            foreach (var s in sessions) s.Dispose();
            double a = Median(ours);
            for (int v = 0; v < variants.Count; v++)
            {
                double b = Median(ort[v]);
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"| {Path.GetFileName(path)} | {model.FlashBytes:N0} | {variants[v].Name} | {a:F0} | {b:F0} | {a / b:F2}x |"));
            }
        }
        if (rows.Count == 0) return 0;
        Console.WriteLine($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Suite.Machine()}; Fashion-MNIST test set ({test.Count:N0} images), 2 threads each, median of {rounds} alternating rounds; ONNX Runtime 1.31.1 on the QDQ export, batches of {OrtBatch} uint8 images, default graph optimisations.");
        Console.WriteLine();
        Console.WriteLine("| integer model | FLASH B | ONNX Runtime runs | integer engine img/s | ONNX Runtime img/s | ratio |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|");
        foreach (var row in rows) Console.WriteLine(row);
        return 0;
    }

    private static double OrtImagesPerSecond(InferenceSession session, byte[] nchw, ImageDataset test)
    {
        int size = test.SampleSize;
        var clock = Stopwatch.StartNew();
        using var runOptions = new RunOptions();
        for (int start = 0; start < test.Count; start += OrtBatch)
        {
            int n = Math.Min(OrtBatch, test.Count - start);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<byte>(nchw, start * size, n * size), [n, test.Channels, test.Height, test.Width]);
            using var results = session.Run(runOptions, [QdqExporter.InputName], [input], [QdqExporter.OutputName]);
        }
        return test.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Per-op time of the engine on one thread: the minimum over 7 runs of 1,000 images (a shared machine preempts runs at random).</summary>
    private static void Profile(IntegerEngine engine, byte[] nhwc, int count, int[] outputs)
    {
        Workers.Count = 1;
        count = Math.Min(count, 1000);
        var best = Enumerable.Repeat(long.MaxValue, engine.OpTicks.Length).ToArray();
        engine.Profiling = true;
        for (int r = 0; r < 8; r++)
        {
            Array.Clear(engine.OpTicks);
            engine.Run(nhwc, count, outputs);
            if (r == 0) continue; // warm-up
            for (int o = 0; o < best.Length; o++) best[o] = Math.Min(best[o], engine.OpTicks[o]);
        }
        double total = best.Sum() * 1e6 / Stopwatch.Frequency / count;
        Console.WriteLine($"{total:F1} us per image on 1 thread ({1e6 / total:F0} img/s); per op (us per image, best of 7 runs of {count}):");
        for (int o = 0; o < best.Length; o++)
        {
            var op = engine.Model.Ops[o];
            double us = best[o] * 1e6 / Stopwatch.Frequency / count;
            Console.WriteLine($"  {op.Name,-20} {op.Kind,-16} {us,8:F2} us  {100 * us / total,5:F1} %");
        }
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
