using System.Security.Cryptography;
using MixBit.Tests.Cli;
using MixBit.Tests.Data;

namespace MixBit.Tests.Reliability;

/// <summary>
/// A shared, valid Fashion-MNIST stand-in for the cases that need data: 5,300 training images (quantize and finetune
/// hold out their default 5,000 for validation) and 100 test images.
/// </summary>
public sealed class TinyDataFixture : IDisposable
{
    private readonly IdxTestFiles _files = IdxTestFiles.Stripes(5300, 100);
    public string Directory => _files.Directory;
    public void Dispose() => _files.Dispose();
}

/// <summary>
/// The bad-input corpus (docs/RELIABILITY.md lists it): each case runs the real `mixbit` process in a fresh folder holding
/// a valid model (model.onnx, the reference CNN), a plain file (file.txt) and an empty folder (folder/), and must end
/// with the expected exit code, one line on stderr containing the expected text, no stack trace, and not one file
/// written, removed or changed in that folder or in the data folder.
/// Placeholders: {w} the case's folder, {c} the corpus folder, {data} a valid tiny data set, {fixtures} the ONNX fixtures.
/// </summary>
public class BadInputCorpusTests(TinyDataFixture data) : IClassFixture<TinyDataFixture>
{
    private const string Ref = "{w}/model.onnx";
    private const string Analyze = "analyze --model {w}/model.onnx --board stm32g071";
    private const string Quantize = "quantize -m {w}/model.onnx --data {data}";
    private const string Train = "train --data {data} -o {w}/out.onnx";
    private const string Finetune = "finetune -m {w}/model.onnx --data {data} --w-bits 8 --a-bits 8 -o {w}/ft.onnx";

    /// <summary>Id, command line, text stderr must contain, exit code.</summary>
    public static TheoryData<string, string, string, int> Cases => new()
    {
        // ONNX files
        { "onnx-empty", "eval {c}/onnx/empty.onnx", "the file is empty", 2 },
        { "onnx-truncated", "eval {c}/onnx/truncated.onnx", "is not a valid ONNX model", 2 },
        { "onnx-random-bytes", "inspect {c}/onnx/random_bytes.onnx", "is not a valid ONNX model", 2 },
        { "onnx-text", "analyze --model {c}/onnx/text.onnx --board stm32g071", "is not a valid ONNX model", 2 },
        { "onnx-no-graph", "inspect {c}/onnx/no_graph.onnx", "no graph nodes", 2 },
        { "onnx-dynamic-shape", "inspect {c}/onnx/dynamic_shape.onnx", "has no fixed size on axis H", 2 },
        { "onnx-cycle", "inspect {c}/onnx/cycle.onnx", "the graph has a cycle", 2 },
        { "onnx-huge-input", "analyze --model {c}/onnx/huge_input_1e6x1e6.onnx --board stm32g071", "1x1000000x1000000 = 1,000,000,000,000 values per image", 2 },
        { "onnx-huge-input-inspect", "inspect {c}/onnx/huge_input_1e6x1e6.onnx", "more than the 2,147,483,647 MixBit supports", 2 },
        { "onnx-1e9-channels", "inspect {c}/onnx/input_1e9_channels.onnx", "1000000000x28x28", 2 },
        { "onnx-5e9-channels", "inspect {c}/onnx/input_5e9_channels.onnx", "has 5,000,000,000 channels", 2 },
        { "onnx-opset-99", "inspect {c}/onnx/opset_99.onnx", "uses ONNX opset 99", 2 },
        { "onnx-nan-weight", "inspect {c}/onnx/nan_weight.onnx", "has weight value NaN", 2 },
        { "onnx-weight-data-short", "inspect {c}/onnx/weight_data_short.onnx", "weight_data_short.onnx: node 'fc' (Gemm): Weight 'fc_w' holds 12 bytes but its shape needs 160; the file is truncated or corrupt", 2 },
        { "onnx-missing-tensor", "inspect {c}/onnx/missing_tensor.onnx", "tensor 'nowhere'", 2 },
        { "onnx-two-inputs", "inspect {c}/onnx/two_inputs.onnx", "has 2 inputs", 2 },
        { "onnx-int64-input", "inspect {c}/onnx/int64_input.onnx", "needs a FLOAT (float32) input", 2 },
        { "onnx-unsupported-op", "inspect {c}/onnx/unsupported_op.onnx", "operator Sigmoid is not supported", 2 },
        { "onnx-external-weights", "inspect {c}/onnx/external_weights.onnx", "external data file", 2 },
        { "onnx-wrong-class-count", "eval {c}/onnx/seven_classes.onnx --data {data}", "7 outputs but the data has 10 classes", 2 },
        { "onnx-wrong-input-shape", "eval {c}/onnx/rgb_32x32.onnx --data {data}", "expects 3x32x32 inputs but the data is 1x28x28", 2 },
        // Inputs fuzzing found (tests/MixBit.Tests/Corpus/fuzz, kept as found)
        { "fuzz-onnx-dilation-overflow", "inspect {c}/fuzz/onnx-2b6bba3134e3.onnx", "has dilations value 2147483648, outside any valid size", 2 },
        { "fuzz-onnx-dims-overflow", "inspect {c}/fuzz/onnx-c53c7ebb4445.onnx", "Tensor 'fc_b' has dimensions [10, 30, 36672224,", 2 },
        { "fuzz-onnx-node-without-output", "inspect {c}/fuzz/onnx-912b62b8af21.onnx", "has no output, so the file is not a valid ONNX graph", 2 },
        { "model-is-a-folder", "eval {w}/folder", "is a folder, not a file", 2 },
        { "model-missing", "quantize -m {w}/nope.onnx --w-bits 8 --a-bits 8", "'{w}/nope.onnx' does not exist", 2 },
        // IDX data folders
        { "idx-truncated", "eval " + Ref + " --data {c}/idx/truncated_images", "is truncated", 2 },
        { "idx-bad-magic", "eval " + Ref + " --data {c}/idx/bad_magic", "has magic 0x00000802", 2 },
        { "idx-label-count", "eval " + Ref + " --data {c}/idx/label_count_mismatch", "holds 12 images but", 2 },
        { "idx-label-range", "eval " + Ref + " --data {c}/idx/label_out_of_range", "has label 12 at sample 5", 2 },
        { "idx-huge-header", "eval " + Ref + " --data {c}/idx/huge_header", "declares 60000x100000", 2 },
        { "idx-empty-file", "eval " + Ref + " --data {c}/idx/empty_images", "too short to hold an IDX header", 2 },
        { "idx-bad-gzip", "eval " + Ref + " --data {c}/idx/bad_gzip", "is not a readable gzip stream", 2 },
        { "idx-missing-file", "eval " + Ref + " --data {c}/idx/missing_test_labels", "t10k-labels-idx1-ubyte.gz is missing", 2 },
        { "idx-zero-height", "eval " + Ref + " --data {c}/idx/zero_height", "declares empty 0x28 images", 2 },
        { "idx-trailing-bytes", "eval " + Ref + " --data {c}/idx/trailing_bytes", "has more data than its header declares", 2 },
        { "data-missing-no-output-folder-left", "train --data {w}/nodata -o {w}/new/sub/model.onnx", "Fashion-MNIST not found in {w}/nodata", 2 },
        { "data-is-a-file", "eval " + Ref + " --data {w}/file.txt", "is a file; give the folder", 2 },
        // Bit policies (for the reference CNN)
        { "policy-empty", Analyze + " --policy {c}/policy/empty.json", "is not a valid bit policy", 2 },
        { "policy-not-json", Analyze + " --policy {c}/policy/not_json.json", "is not a valid bit policy: malformed JSON", 2 },
        { "policy-no-layers", Analyze + " --policy {c}/policy/no_layers.json", "has no \"layers\" array", 2 },
        { "policy-layers-not-array", Analyze + " --policy {c}/policy/layers_not_array.json", "at $.layers", 2 },
        { "policy-null-entry", Analyze + " --policy {c}/policy/null_entry.json", "a layer entry without a \"name\"", 2 },
        { "policy-missing-weight-bits", Analyze + " --policy {c}/policy/missing_weight_bits.json", "has no \"weightBits\"", 2 },
        { "policy-bits-3", Analyze + " --policy {c}/policy/bits_3.json", "has weight bits 3; allowed values are 2, 4 and 8", 2 },
        { "policy-bits-negative", Quantize + " --policy {c}/policy/bits_negative.json", "has weight bits -8", 2 },
        { "policy-bits-string", Analyze + " --policy {c}/policy/bits_string.json", "a value of the wrong type at $.layers[0].weightBits (line 3)", 2 },
        { "policy-bits-fraction", Analyze + " --policy {c}/policy/bits_fraction.json", "a value of the wrong type at $.layers[0].weightBits (line 3)", 2 },
        { "policy-unknown-layer", Analyze + " --policy {c}/policy/unknown_layer.json", "names layer 'conv99'", 2 },
        { "policy-duplicate-layer", Analyze + " --policy {c}/policy/duplicate_layer.json", "twice", 2 },
        { "policy-missing-layers", Analyze + " --policy {c}/policy/missing_layers.json", "(and 8 more)", 2 },
        { "policy-unknown-property", Analyze + " --policy {c}/policy/unknown_property.json", "an unknown property", 2 },
        { "policy-name-missing", Analyze + " --policy {c}/policy/name_missing.json", "without a \"name\"", 2 },
        { "policy-is-a-folder", Analyze + " --policy {w}/folder", "is a folder, not a file", 2 },
        // Budgets and devices
        { "budget-impossible", "analyze --model {w}/model.onnx --flash 1kB --ram 1kB", "even with all weights and activations at 2 bits", 2 },
        { "budget-impossible-json", "analyze --model {w}/model.onnx --flash 1kB --ram 1kB --json --save-policy {w}/p.json", "No policy was written", 2 },
        { "budget-bad-size", "analyze --model {w}/model.onnx --flash lots --ram 1kB", "'lots' is not a memory size", 2 },
        { "budget-bad-unit", "analyze --model {w}/model.onnx --flash 2XB --ram 1kB", "unknown unit 'XB'", 2 },
        { "budget-zero", "analyze --model {w}/model.onnx --flash 0 --ram 1MB", "positive FLASH and RAM", 2 },
        { "budget-reserve-too-big", "analyze --model {w}/model.onnx --flash 1MB --ram 1MB --flash-reserve 2MB", "lower --flash-reserve", 2 },
        { "budget-unknown-board", "analyze --model {w}/model.onnx --board esp9000", "esp9000", 2 },
        { "budget-no-device", "analyze --model {w}/model.onnx", "No device given", 2 },
        // Architectures (analyze --arch)
        { "arch-resolution-1e6", "analyze --arch mobilenet_v1 --resolution 1000000 --board stm32g071", "3x1000000x1000000", 2 },
        { "arch-resolution-too-small", "analyze --arch mobilenet_v1 --resolution 4 --board stm32g071", "too small", 2 },
        { "arch-width-zero", "analyze --arch mobilenet_v1 --width 0 --board stm32g071", "out of range (0, 4]", 2 },
        { "arch-width-nan", "analyze --arch mobilenet_v1 --width NaN --board stm32g071", "out of range (0, 4]", 2 },
        { "arch-classes-1", "analyze --arch mobilenet_v1 --classes 1 --board stm32g071", "at least 2 classes", 2 },
        { "arch-huge-classes", "analyze --arch mobilenet_v1 --classes 2000000000 --board stm32g071", "more than the 2,147,483,647 MixBit supports", 2 },
        { "arch-and-model", "analyze --arch mobilenet_v1 --model {w}/model.onnx --board stm32g071", "Give exactly one model", 2 },
        { "arch-unknown", "analyze --arch resnet9000 --board stm32g071", "Unknown architecture 'resnet9000'", 2 },
        // Output paths
        { "save-policy-under-a-file", Analyze + " --save-policy {w}/file.txt/p.json", "'{w}/file.txt' is a file, not a folder", 2 },
        { "save-policy-to-a-folder", Analyze + " --save-policy {w}/folder", "it is a folder; give a file name", 2 },
        { "save-policy-to-proc", Analyze + " --save-policy /proc/mixbit-policy.json", "Cannot write '/proc/mixbit-policy.json'", 2 },
        { "save-policy-over-its-input", Analyze + " --policy {c}/policy/bits_3.json --save-policy {c}/policy/bits_3.json", "is the --policy input", 2 },
        { "train-output-in-proc", "train --data {data} -o /proc/mixbit/model.onnx", "Cannot write '/proc/mixbit/model.onnx': the folder '/proc' does not accept new files", 2 },
        { "train-output-is-input", "train --data {data} --model {w}/model.onnx -o {w}/model.onnx", "is the --model input", 2 },
        { "finetune-output-is-input", "finetune -m {w}/model.onnx --data {data} --w-bits 8 --a-bits 8 -o {w}/model.onnx", "is the --model input", 2 },
        { "finetune-output-under-a-file", "finetune -m {w}/model.onnx --data {data} --w-bits 8 --a-bits 8 -o {w}/file.txt/ft.onnx", "is a file, not a folder", 2 },
        // Numeric options
        { "quantize-count-negative", Quantize + " --w-bits 8 --a-bits 8 --count -5", "--count must be 0 (all images) or a positive number", 2 },
        { "quantize-bits-3", Quantize + " --w-bits 3 --a-bits 8", "weight bits 3", 2 },
        { "quantize-calibration-unknown", Quantize + " --w-bits 8 --a-bits 8 --calibration magic", "Unknown calibration method 'magic'", 2 },
        { "quantize-split-unknown", Quantize + " --w-bits 8 --a-bits 8 --split train", "Unknown --split 'train'", 2 },
        { "quantize-policy-and-bits", Quantize + " --w-bits 8 --a-bits 8 --policy {c}/policy/bits_3.json", "either --policy or --w-bits/--a-bits", 2 },
        { "quantize-no-policy", Quantize, "No bit policy", 2 },
        { "quantize-threads-0", Quantize + " --w-bits 8 --a-bits 8 --threads 0", "--threads must be in 1..64, got 0", 2 },
        { "eval-batch-0", "eval " + Ref + " --data {data} --batch-size 0", "--batch-size must be in 1..4096, got 0", 2 },
        { "eval-batch-huge", "eval " + Ref + " --data {data} --batch-size 1000000000", "--batch-size must be in 1..4096", 2 },
        { "train-epochs-huge", Train + " --epochs 100000000", "--epochs must be at most 10000", 2 },
        { "train-batch-0", Train + " --batch-size 0", "--batch-size must be in 1..4096, got 0", 2 },
        { "train-lr-negative", Train + " --lr -1", "--lr must be a positive number, got -1", 2 },
        { "train-lr-nan", Train + " --lr NaN", "--lr must be a positive number, got NaN", 2 },
        { "train-lr-infinite", Train + " --lr Infinity", "--lr must be a positive number", 2 },
        { "train-weight-decay-negative", Train + " --weight-decay -0.1", "--weight-decay must be a non-negative number", 2 },
        { "train-weight-decay-nan", Train + " --weight-decay NaN", "--weight-decay must be a non-negative number", 2 },
        { "train-optimizer-unknown", Train + " --optimizer lbfgs", "Unknown optimizer 'lbfgs'", 2 },
        { "train-schedule-unknown", Train + " --schedule linear", "Unknown learning-rate schedule 'linear'", 2 },
        { "train-threads-1000", Train + " --threads 1000", "--threads must be in 1..64, got 1000", 2 },
        { "train-validation-negative", Train + " --validation -1", "--validation must be in [0, 5300), got -1", 2 },
        { "train-validation-all", Train + " --validation 5300", "--validation must be in [0, 5300), got 5300", 2 },
        { "train-width-zero", Train + " --width 0", "out of range (0, 4]", 2 },
        { "train-diverges", Train + " --lr 1e30 --arch reference_cnn --epochs 1", "no epoch had finished, so nothing was saved", 2 },
        { "finetune-temperature-zero", Finetune + " --distill --temperature 0", "--temperature must be a positive number", 2 },
        { "finetune-temperature-infinite", Finetune + " --distill --temperature Infinity", "--temperature must be a positive number", 2 },
        { "finetune-freeze-negative", Finetune + " --freeze-bn-after -1", "--freeze-bn-after must be non-negative", 2 },
        { "finetune-train-count-negative", Finetune + " --train-count -1", "--train-count must be non-negative", 2 },
        { "finetune-resume-without-checkpoint", Finetune + " --resume", "No checkpoint at", 2 },
        { "finetune-bits-5", "finetune -m {w}/model.onnx --data {data} --w-bits 5 --a-bits 8 -o {w}/ft.onnx", "weight bits 5", 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_gets_one_clear_line_a_nonzero_exit_and_no_file_change(string id, string command, string message, int exitCode)
    {
        using var work = new TestFolders.Scratch();
        File.Copy(TestFolders.Repo("tests/MixBit.Tests/Fixtures/reference_cnn.onnx"), work.File("model.onnx"));
        File.WriteAllText(work.File("file.txt"), "a plain file\n");
        Directory.CreateDirectory(work.File("folder"));
        string Expand(string s) => s.Replace("{w}", work.Path).Replace("{c}", Corpus.Folder).Replace("{data}", data.Directory)
            .Replace("{fixtures}", TestFolders.Repo("tests/MixBit.Tests/Fixtures"));
        var before = (Snapshot(work.Path), Snapshot(data.Directory), Snapshot(Corpus.Folder));

        var result = CliRunner.Run(Expand(command).Split(' ', StringSplitOptions.RemoveEmptyEntries));

        // MIXBIT_RELIABILITY_TABLE=FILE collects what each case got, for docs/RELIABILITY.md (scripts/reliability_table.sh).
        if (Environment.GetEnvironmentVariable("MIXBIT_RELIABILITY_TABLE") is { Length: > 0 } table)
            File.AppendAllText(table, $"{id}\t{command}\t{result.ExitCode}\t{result.Stderr.Trim().Replace(work.Path, "{w}").Replace(Corpus.Folder, "{c}").Replace(data.Directory, "{data}")}\n");
        CliAssert.CleanError(result, Expand(message), exitCode);
        var after = (Snapshot(work.Path), Snapshot(data.Directory), Snapshot(Corpus.Folder));
        Assert.True(before.Item1.SequenceEqual(after.Item1), $"{id}: files changed in the work folder: {string.Join(", ", after.Item1.Except(before.Item1))}");
        Assert.True(before.Item2.SequenceEqual(after.Item2), $"{id}: the data folder changed");
        Assert.True(before.Item3.SequenceEqual(after.Item3), $"{id}: the corpus changed");
    }

    /// <summary>Every file (hidden ones too) under a folder with the hash of its content, sorted.</summary>
    internal static List<string> Snapshot(string folder) => Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
        .Select(p => File.Exists(p) ? $"{Path.GetRelativePath(folder, p)} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p)))}" : Path.GetRelativePath(folder, p) + "/")
        .Order(StringComparer.Ordinal).ToList();
}
