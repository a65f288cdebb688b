using System.Text;
using Google.Protobuf;
using MixBit.Tests.Data;
using MixBit.Tests.Onnx;
using Onnx;

namespace MixBit.Tests.Reliability;

/// <summary>
/// The bad-input corpus under tests/MixBit.Tests/Corpus: broken ONNX models (onnx/), bit policies (policy/) and
/// Fashion-MNIST folders with one broken IDX file (idx/NAME/), each made here deterministically, and the inputs that
/// fuzzing found (fuzz/, kept as they were found). The files are committed so every case can be reproduced by a
/// command (docs/RELIABILITY.md); a test checks they are what this generator makes. Regenerate with
/// MIXBIT_WRITE_CORPUS=1 dotnet test --filter "FullyQualifiedName~CorpusFilesTests".
/// </summary>
internal static class Corpus
{
    public static string Folder => TestFolders.Repo("tests/MixBit.Tests/Corpus");

    public static string PathOf(string relative) => Path.Combine(Folder, relative);

    /// <summary>Every generated file, by path relative to the corpus folder.</summary>
    public static IReadOnlyDictionary<string, byte[]> Generate()
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, bytes) in OnnxFiles()) files[$"onnx/{name}"] = bytes;
        foreach (var (name, text) in PolicyFiles()) files[$"policy/{name}"] = Encoding.UTF8.GetBytes(text);
        foreach (var (name, content) in IdxFolders())
            foreach (var (file, bytes) in content) files[$"idx/{name}/{file}"] = bytes;
        return files;
    }

    /// <summary>x [N, C, H, W] -> Conv 3x3 (4) -> Relu -> GlobalAveragePool -> Flatten -> Gemm (10): a valid classifier.</summary>
    private static OnnxSketch Tiny(out string output, int channels = 1, int height = 28, int width = 28, int opset = 13)
    {
        var s = new OnnxSketch(opset, channels, height, width, seed: 7);
        var conv = s.Node("Conv", "conv", ["x", s.Weight("w", [4, channels, 3, 3])], ("pads", new[] { 1, 1, 1, 1 }));
        var relu = s.Node("Relu", "relu", [conv]);
        var gap = s.Node("GlobalAveragePool", "gap", [relu]);
        var flat = s.Node("Flatten", "flat", [gap]);
        output = s.Node("Gemm", "fc", [flat, s.Weight("fc_w", [10, 4]), s.Weight("fc_b", [10])], ("transB", 1));
        return s;
    }

    private static byte[] Bytes(ModelProto m) => m.ToByteArray();

    private static IEnumerable<(string, byte[])> OnnxFiles()
    {
        var valid = Bytes(Tiny(out var o).Build(o));
        yield return ("empty.onnx", []);
        yield return ("truncated.onnx", valid[..(valid.Length / 2)]);
        var random = new byte[4096];
        new Random(12).NextBytes(random);
        yield return ("random_bytes.onnx", random);
        yield return ("text.onnx", Encoding.UTF8.GetBytes("this is not a model\n"));
        yield return ("no_graph.onnx", Bytes(new ModelProto { IrVersion = 7 }));

        var dynamic = Tiny(out o).Build(o);
        foreach (int axis in new[] { 2, 3 }) dynamic.Graph.Input[0].Type.TensorType.Shape.Dim[axis] = new TensorShapeProto.Types.Dimension { DimParam = axis == 2 ? "H" : "W" };
        yield return ("dynamic_shape.onnx", Bytes(dynamic));

        var cycle = new OnnxSketch(13, 1, 28, 28);
        cycle.Node("Relu", "a", ["b0_out"]);
        cycle.Node("Relu", "b", ["a0_out"]);
        var cyclic = cycle.Build("b1_out");
        cyclic.Graph.Node[0].Output[0] = "a_out";
        cyclic.Graph.Node[0].Input[0] = "b_out";
        cyclic.Graph.Node[1].Output[0] = "b_out";
        cyclic.Graph.Node[1].Input[0] = "a_out";
        cyclic.Graph.Output[0].Name = "b_out";
        yield return ("cycle.onnx", Bytes(cyclic));

        yield return ("huge_input_1e6x1e6.onnx", Bytes(Tiny(out o, 1, 1_000_000, 1_000_000).Build(o)));
        var channels = Tiny(out o).Build(o);
        channels.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1_000_000_000;
        yield return ("input_1e9_channels.onnx", Bytes(channels));
        channels.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 5_000_000_000;
        yield return ("input_5e9_channels.onnx", Bytes(channels));

        yield return ("opset_99.onnx", Bytes(Tiny(out o, opset: 99).Build(o)));

        var nan = Tiny(out o).Build(o);
        var w = nan.Graph.Initializer.First(t => t.Name == "w");
        var raw = w.RawData.ToByteArray();
        BitConverter.GetBytes(float.NaN).CopyTo(raw, 8);
        w.RawData = ByteString.CopyFrom(raw);
        yield return ("nan_weight.onnx", Bytes(nan));

        var shortWeight = Tiny(out o).Build(o);
        var sw = shortWeight.Graph.Initializer.First(t => t.Name == "fc_w");
        sw.RawData = ByteString.CopyFrom(sw.RawData.Span[..12]);
        yield return ("weight_data_short.onnx", Bytes(shortWeight));

        var missing = Tiny(out o).Build(o);
        missing.Graph.Node[1].Input[0] = "nowhere";
        yield return ("missing_tensor.onnx", Bytes(missing));

        var twoInputs = Tiny(out o).Build(o);
        twoInputs.Graph.Input.Add(new ValueInfoProto { Name = "y", Type = twoInputs.Graph.Input[0].Type.Clone() });
        yield return ("two_inputs.onnx", Bytes(twoInputs));

        var intInput = Tiny(out o).Build(o);
        intInput.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Int64;
        yield return ("int64_input.onnx", Bytes(intInput));

        var sigmoid = Tiny(out o).Build(o);
        sigmoid.Graph.Node[1].OpType = "Sigmoid";
        yield return ("unsupported_op.onnx", Bytes(sigmoid));

        var external = Tiny(out o).Build(o);
        external.Graph.Initializer.First(t => t.Name == "w").DataLocation = TensorProto.Types.DataLocation.External;
        yield return ("external_weights.onnx", Bytes(external));

        yield return ("seven_classes.onnx", Bytes(Seven()));
        yield return ("rgb_32x32.onnx", Bytes(Tiny(out o, 3, 32, 32).Build(o)));
    }

    /// <summary>A valid 1x28x28 model with 7 outputs: Fashion-MNIST has 10 classes.</summary>
    private static ModelProto Seven()
    {
        var s = new OnnxSketch(13, 1, 28, 28, seed: 7);
        var gap = s.Node("GlobalAveragePool", "gap", ["x"]);
        var flat = s.Node("Flatten", "flat", [gap]);
        return s.Build(s.Node("Gemm", "fc", [flat, s.Weight("fc_w", [7, 1]), s.Weight("fc_b", [7])], ("transB", 1)));
    }

    /// <summary>Policies for tests/MixBit.Tests/Fixtures/reference_cnn.onnx (its layers: /features/features.0/Conv, ...).</summary>
    private static IEnumerable<(string, string)> PolicyFiles()
    {
        const string L0 = "/features/features.0/Conv";
        string Layers(params string[] entries) => "{\n  \"layers\": [\n    " + string.Join(",\n    ", entries) + "\n  ]\n}\n";
        yield return ("empty.json", "");
        yield return ("not_json.json", "{ \"layers\": [ {\"name\": ");
        yield return ("no_layers.json", "{ \"model\": \"reference_cnn\" }\n");
        yield return ("layers_not_array.json", "{ \"layers\": 5 }\n");
        yield return ("null_entry.json", Layers("null"));
        yield return ("missing_weight_bits.json", Layers($"{{ \"name\": \"{L0}\", \"activationBits\": 8 }}"));
        yield return ("bits_3.json", Layers($"{{ \"name\": \"{L0}\", \"weightBits\": 3, \"activationBits\": 8 }}"));
        yield return ("bits_negative.json", Layers($"{{ \"name\": \"{L0}\", \"weightBits\": -8, \"activationBits\": 8 }}"));
        yield return ("bits_string.json", Layers($"{{ \"name\": \"{L0}\", \"weightBits\": \"8\", \"activationBits\": 8 }}"));
        yield return ("bits_fraction.json", Layers($"{{ \"name\": \"{L0}\", \"weightBits\": 8.5, \"activationBits\": 8 }}"));
        yield return ("unknown_layer.json", Layers("{ \"name\": \"conv99\", \"weightBits\": 8, \"activationBits\": 8 }"));
        yield return ("duplicate_layer.json", Layers($"{{ \"name\": \"{L0}\", \"weightBits\": 8, \"activationBits\": 8 }}", $"{{ \"name\": \"{L0}\", \"weightBits\": 4, \"activationBits\": 4 }}"));
        yield return ("missing_layers.json", Layers($"{{ \"name\": \"{L0}\", \"weightBits\": 8, \"activationBits\": 8 }}"));
        yield return ("unknown_property.json", Layers($"{{ \"name\": \"{L0}\", \"weightBits\": 8, \"activationBits\": 8, \"groupSize\": 4 }}"));
        yield return ("name_missing.json", Layers("{ \"weightBits\": 8, \"activationBits\": 8 }"));
    }

    /// <summary>Fashion-MNIST-shaped folders (12 training, 6 test images) with one file broken.</summary>
    private static IEnumerable<(string, Dictionary<string, byte[]>)> IdxFolders()
    {
        Dictionary<string, byte[]> Valid()
        {
            using var files = IdxTestFiles.Stripes(12, 6);
            return Directory.GetFiles(files.Directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        }
        const string Images = "train-images-idx3-ubyte.gz", Labels = "train-labels-idx1-ubyte.gz";
        static byte[] Raw(byte[] gz)
        {
            using var input = new System.IO.Compression.GZipStream(new MemoryStream(gz), System.IO.Compression.CompressionMode.Decompress);
            var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }

        var d = Valid();
        d[Images] = IdxTestFiles.Gzip(Raw(d[Images])[..5000]);
        yield return ("truncated_images", d);

        d = Valid();
        var badMagic = Raw(d[Images]);
        badMagic[3] = 0x02;
        d[Images] = IdxTestFiles.Gzip(badMagic);
        yield return ("bad_magic", d);

        d = Valid();
        d[Labels] = IdxTestFiles.Gzip(IdxTestFiles.Encode(0x801, [11], new byte[11]));
        yield return ("label_count_mismatch", d);

        d = Valid();
        d[Labels] = IdxTestFiles.Gzip(IdxTestFiles.Encode(0x801, [12], Enumerable.Range(0, 12).Select(i => (byte)(i == 5 ? 12 : i % 10)).ToArray()));
        yield return ("label_out_of_range", d);

        d = Valid();
        d[Images] = IdxTestFiles.Gzip(IdxTestFiles.Encode(0x803, [60000, 100000, 100000], new byte[64]));
        yield return ("huge_header", d);

        d = Valid();
        d[Images] = [];
        yield return ("empty_images", d);

        d = Valid();
        // A gzip header followed by a deflate block of a type that does not exist (BTYPE = 3).
        d[Images] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00];
        yield return ("bad_gzip", d);

        d = Valid();
        d.Remove("t10k-labels-idx1-ubyte.gz");
        yield return ("missing_test_labels", d);

        d = Valid();
        d[Images] = IdxTestFiles.Gzip(IdxTestFiles.Encode(0x803, [12, 0, 28], []));
        yield return ("zero_height", d);

        d = Valid();
        d[Images] = IdxTestFiles.Gzip([.. Raw(d[Images]), 1, 2, 3]);
        yield return ("trailing_bytes", d);
    }
}

public class CorpusFilesTests
{
    [Fact]
    public void Committed_corpus_files_are_what_the_generator_makes()
    {
        var generated = Corpus.Generate();
        if (Environment.GetEnvironmentVariable("MIXBIT_WRITE_CORPUS") == "1")
            foreach (var (name, bytes) in generated)
            {
                string path = Corpus.PathOf(name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, bytes);
            }
        foreach (var (name, bytes) in generated)
        {
            string path = Corpus.PathOf(name);
            Assert.True(File.Exists(path), $"{path} is missing; regenerate the corpus (see Corpus)");
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(path)), $"{path} differs from what the generator makes; regenerate the corpus (see Corpus)");
        }
    }
}
