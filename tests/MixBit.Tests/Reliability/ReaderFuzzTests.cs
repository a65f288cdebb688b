using System.Diagnostics;
using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using MixBit.Data;
using MixBit.Models;
using MixBit.Models.Onnx;
using MixBit.Nn.Graph;
using MixBit.Quantization;
using MixBit.Tests.Data;
using Onnx;
using Xunit.Abstractions;

namespace MixBit.Tests.Reliability;

/// <summary>
/// Generator fuzzing (FsCheck generators) of the readers of user files: the ONNX importer, the IDX reader and the
/// bit-policy JSON reader. Each input must either be read or be refused with a <see cref="MixBitException"/> (one
/// clear message); any other exception is a crash, and the input is kept under tests/MixBit.Tests/Corpus/fuzz/, where
/// <see cref="Every_kept_fuzz_input_is_refused_cleanly"/> replays it forever after. The normal test run does a short
/// pass; scripts/fuzz.sh sets MIXBIT_FUZZ_SECONDS for a long, time-bounded one.
/// </summary>
public class ReaderFuzzTests(ITestOutputHelper output)
{
    private static readonly string FuzzFolder = Corpus.PathOf("fuzz");
    private static readonly ModelGraph PolicyGraph = ModelFile.Load(TestFolders.Repo("tests/MixBit.Tests/Fixtures/reference_cnn.onnx")).Graph;

    /// <summary>One byte-level edit of a seed: flip, set, insert, delete, truncate, duplicate a span, or a 32-bit "interesting" value.</summary>
    private readonly record struct Edit(int Kind, double Where, byte Value, int Length);

    private static readonly Gen<Edit> Edits =
        from kind in Gen.Choose(0, 6)
        from position in Gen.Choose(0, 1_000_000).Select(v => v / 1_000_000.0)
        from value in Gen.Choose(0, 255).Select(v => (byte)v)
        from length in Gen.Choose(1, 64)
        select new Edit(kind, position, value, length);

    private static readonly uint[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x0000_0803, 0x0000_0801, 1_000_000];

    private static byte[] Apply(byte[] seed, IEnumerable<Edit> edits)
    {
        var b = seed.ToList();
        foreach (var e in edits)
        {
            int at = (int)(e.Where * b.Count);
            switch (e.Kind)
            {
                case 0 when b.Count > 0: b[Math.Min(at, b.Count - 1)] ^= (byte)(1 << (e.Value % 8)); break;
                case 1 when b.Count > 0: b[Math.Min(at, b.Count - 1)] = e.Value; break;
                case 2: b.InsertRange(at, Enumerable.Repeat(e.Value, e.Length % 8 + 1)); break;
                case 3: b.RemoveRange(at, Math.Min(e.Length, b.Count - at)); break;
                case 4: b.RemoveRange(at, b.Count - at); break;
                case 5 when b.Count > 0: b.InsertRange(at, b.GetRange(at == b.Count ? 0 : at, Math.Min(e.Length, b.Count - (at == b.Count ? 0 : at)))); break;
                case 6 when b.Count >= 4:
                    uint v = Interesting[e.Value % Interesting.Length];
                    int p = Math.Min(at, b.Count - 4);
                    for (int i = 0; i < 4; i++) b[p + i] = (byte)(v >> (8 * (3 - i)));
                    break;
            }
        }
        return b.ToArray();
    }

    private static Gen<byte[]> Mutations(byte[][] seeds) =>
        from seed in Gen.Elements(seeds)
        from edits in Gen.Choose(1, 6).SelectMany(n => Edits.ArrayOf(n))
        select Apply(seed, edits);

    /// <summary>
    /// Runs <paramref name="target"/> on generated inputs (a short pass, or MIXBIT_FUZZ_SECONDS long); keeps and reports
    /// the first input that throws anything but a <see cref="MixBitException"/>.
    /// </summary>
    private void Fuzz(string name, string extension, Gen<byte[]> inputs, Action<byte[]> target, int shortCases)
    {
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("MIXBIT_FUZZ_SECONDS"), out var s) ? s : 0;
        var clock = Stopwatch.StartNew();
        long executions = 0, refused = 0;
        while (seconds > 0 ? clock.Elapsed.TotalSeconds < seconds : executions < shortCases)
        {
            foreach (var input in Gen.Sample(inputs, 50, 100))
            {
                executions++;
                try { target(input); }
                catch (MixBitException) { refused++; }
                catch (Exception e)
                {
                    Directory.CreateDirectory(FuzzFolder);
                    string path = Path.Combine(FuzzFolder, $"{name}-{Convert.ToHexString(SHA256.HashData(input))[..12].ToLowerInvariant()}.{extension}");
                    File.WriteAllBytes(path, input);
                    Assert.Fail($"{name}: {e.GetType().Name}: {e.Message} on the input kept as {path}\n{e}");
                }
            }
        }
        output.WriteLine($"fuzz {name}: {executions} executions ({refused} refused cleanly, {executions - refused} read) in {clock.Elapsed.TotalSeconds:F1} s, no crash");
    }

    // ---- ONNX ----

    private static byte[][] OnnxSeeds() =>
    [
        .. new[] { "reference_cnn", "tiny_pool", "mobilenet_v2_small", "mobilenet_v2_small_folded" }.Select(n => File.ReadAllBytes(TestFolders.Repo($"tests/MixBit.Tests/Fixtures/{n}.onnx"))),
        .. Directory.GetFiles(Corpus.PathOf("onnx")).Select(File.ReadAllBytes),
    ];

    /// <summary>Structure-aware edits: a parsed seed with one number, name or op type changed, so the importer's deeper checks run.</summary>
    private static Gen<byte[]> OnnxStructural(byte[][] seeds)
    {
        var protos = seeds.Select(b => { try { return ModelProto.Parser.ParseFrom(b); } catch (InvalidProtocolBufferException) { return null; } })
            .Where(p => p?.Graph is { Node.Count: > 0 }).ToArray();
        long[] numbers = [-1, 0, 1, 2, 3, 7, 64, 1 << 20, int.MaxValue, (long)int.MaxValue + 1, long.MaxValue, long.MinValue];
        string[] ops = ["Conv", "Relu", "Add", "Gemm", "MatMul", "Flatten", "Reshape", "Softmax", "Clip", "MaxPool", "AveragePool", "BatchNormalization", "Identity", "Constant", "Sigmoid"];
        return from proto in Gen.Elements(protos!)
               from what in Gen.Choose(0, 6)
               from pick in Gen.Choose(0, 10_000)
               from number in Gen.Elements(numbers)
               from op in Gen.Elements(ops)
               select Mutate(proto!, what, pick, number, op);

        static byte[] Mutate(ModelProto seed, int what, int pick, long number, string op)
        {
            var m = seed.Clone();
            var g = m.Graph;
            var node = g.Node[pick % g.Node.Count];
            switch (what)
            {
                case 0: g.Input[0].Type.TensorType.Shape.Dim[pick % 4] = new TensorShapeProto.Types.Dimension { DimValue = number }; break;
                case 1 when g.Initializer.Count > 0:
                    var t = g.Initializer[pick % g.Initializer.Count];
                    if (t.Dims.Count > 0) t.Dims[pick % t.Dims.Count] = number; else t.Dims.Add(number);
                    break;
                case 2 when node.Attribute.Count > 0:
                    var a = node.Attribute[pick % node.Attribute.Count];
                    if (a.Ints.Count > 0) a.Ints[pick % a.Ints.Count] = number; else a.I = number;
                    break;
                case 3: node.OpType = op; break;
                case 4 when node.Input.Count > 0: node.Input[pick % node.Input.Count] = g.Node[(pick / 7) % g.Node.Count].Output[0]; break;
                case 5: m.OpsetImport[0].Version = number; break;
                default: g.Node.RemoveAt(pick % g.Node.Count); break;
            }
            return m.ToByteArray();
        }
    }

    /// <summary>What the CLI does with a model file: parse, import, and the layer table's shapes, parameters and MACs.</summary>
    private static void ReadOnnx(byte[] bytes)
    {
        MixBit.Nn.Model model;
        try { model = OnnxImporter.Import(bytes, "fuzz.onnx"); }
        catch (OnnxImportException e) when (e.Cause is not null and not InvalidProtocolBufferException)
        {
            // The importer's last-resort wrapper caught an exception its checks did not anticipate: the message is
            // the runtime's ("Index was outside the bounds of the array"), not a clear one. That is a finding too.
            throw new InvalidOperationException($"unanticipated {e.Cause.GetType().Name} behind \"{e.Message}\"", e.Cause);
        }
        var g = model.Graph;
        for (int i = 0; i < g.Count; i++) _ = (g.ShapeOf(i).ToString(), g.MacsOf(i), string.Join(" + ", g.InputShapesOf(i)));
        _ = (g.TotalMacs, g.TrainableParameterCount, BitPolicy.QuantizableLayers(g).Count());
    }

    [Fact]
    public void Onnx_reader_refuses_mutated_models_cleanly()
    {
        var seeds = OnnxSeeds();
        Fuzz("onnx", "onnx", Gen.Frequency((3, Mutations(seeds)), (2, OnnxStructural(seeds))), ReadOnnx, shortCases: 1500);
    }

    // ---- IDX ----

    private static readonly Gen<byte[]> IdxFiles =
        from magic in Gen.Elements(0x803u, 0x801u, 0x802u, 0x804u, 0x80Cu, 0u, 0xFFFF_FFFFu)
        from rank in Gen.Choose(0, 5)
        from dims in Gen.Frequency((4, Gen.Choose(0, 40)), (1, Gen.Elements(0, 1, 28, 60000, 100_000, int.MaxValue))).ArrayOf(rank)
        from extra in Gen.Choose(-8, 8)
        from gzip in Gen.Elements(false, true)
        select Idx(magic, dims, extra, gzip);

    /// <summary>An IDX header (the rank in the magic's low byte, unless the magic is a wrong one) and a payload of about the declared size.</summary>
    private static byte[] Idx(uint magic, int[] dims, int extra, bool gzip)
    {
        long declared = dims.Aggregate(1L, (a, d) => Math.Min(a * d, 4096)); // huge declarations make truncated files
        var raw = IdxTestFiles.Encode(magic is 0x803 or 0x801 ? 0x800u | (uint)dims.Length : magic, dims, new byte[Math.Max(0, declared + extra)]);
        return gzip ? IdxTestFiles.Gzip(raw) : raw;
    }

    [Fact]
    public void Idx_reader_refuses_generated_and_mutated_files_cleanly()
    {
        using var scratch = new TestFolders.Scratch();
        string path = scratch.File("fuzz.idx");
        var seeds = Directory.GetFiles(Corpus.PathOf("idx"), "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).Where(b => b.Length > 0).ToArray();
        Fuzz("idx", "idx", Gen.Frequency((1, IdxFiles), (1, Mutations(seeds))), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            try { _ = IdxReader.ReadImages(path); }
            catch (MixBitException) { _ = IdxReader.ReadLabels(path); }
        }, shortCases: 1500);
    }

    // ---- bit policy JSON ----

    private static readonly Gen<string> JsonValues = Gen.Sized(size => JsonValue(Math.Min(size, 4)));

    private static Gen<string> JsonValue(int depth)
    {
        var scalars = Gen.Elements("null", "true", "false", "0", "2", "4", "8", "-8", "8.5", "1e400", "\"8\"", "\"\"", "\"/features/features.0/Conv\"", "\"conv99\"", "[]", "{}");
        if (depth <= 0) return scalars;
        var names = Gen.Elements("name", "weightBits", "activationBits", "layers", "model", "extra", "");
        var array = JsonValue(depth - 1).ArrayOf().Select(v => "[" + string.Join(",", v.Take(12)) + "]");
        var obj = names.Zip(JsonValue(depth - 1)).ArrayOf().Select(p => "{" + string.Join(",", p.Take(8).Select(kv => $"\"{kv.Item1}\":{kv.Item2}")) + "}");
        return Gen.Frequency((3, scalars), (2, array), (3, obj));
    }

    [Fact]
    public void Policy_reader_refuses_generated_and_mutated_json_cleanly()
    {
        var valid = System.Text.Encoding.UTF8.GetBytes(BitPolicy.Uniform(PolicyGraph, 4, 8).ToJson());
        var seeds = new[] { valid }.Concat(Directory.GetFiles(Corpus.PathOf("policy")).Select(File.ReadAllBytes)).ToArray();
        var generated = JsonValues.Select(j => System.Text.Encoding.UTF8.GetBytes("{\"layers\":" + j + "}"));
        var trees = JsonValues.Select(System.Text.Encoding.UTF8.GetBytes);
        Fuzz("policy", "json", Gen.Frequency((2, Mutations(seeds)), (2, generated), (1, trees)),
            bytes => BitPolicy.FromJson(System.Text.Encoding.UTF8.GetString(bytes), PolicyGraph), shortCases: 3000);
    }

    // ---- replay ----

    [Fact]
    public void Every_kept_fuzz_input_is_refused_cleanly()
    {
        if (!Directory.Exists(FuzzFolder)) return;
        using var scratch = new TestFolders.Scratch();
        foreach (var file in Directory.GetFiles(FuzzFolder))
        {
            var bytes = File.ReadAllBytes(file);
            try
            {
                switch (Path.GetExtension(file))
                {
                    case ".onnx": ReadOnnx(bytes); break;
                    case ".idx": _ = IdxReader.ReadImages(file); break;
                    case ".json": BitPolicy.FromJson(File.ReadAllText(file), PolicyGraph); break;
                }
            }
            catch (MixBitException) { }
        }
    }
}
