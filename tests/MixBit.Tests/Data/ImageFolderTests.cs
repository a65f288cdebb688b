using MixBit.Data;
using MixBit.Models;
using MixBit.Models.Architectures;
using MixBit.Nn.Specs;
using MixBit.Quantization;
using MixBit.Tests.Cli;
using MixBit.Workflows;
using SkiaSharp;

namespace MixBit.Tests.Data;

/// <summary>Image folders as data sets: layout, decoding, splits, class order, the CLI on them, and the errors.</summary>
public class ImageFolderTests
{
    private static readonly string[] Classes = ["circle", "square", "triangle"];

    [Fact]
    public void Class_folders_are_sorted_ordinally_and_split_with_a_seed()
    {
        using var dir = new TestFolders.Scratch();
        ImageFolderFiles.WriteClasses(dir.Path, ["b", "a", "C"], perClass: 10);

        var sets = new DatasetSource(dir.Path, ValidationCount: 5000).Load();

        Assert.Equal(["C", "a", "b"], sets.Train.ClassNames);
        Assert.Equal((1, 12, 12), (sets.Train.Channels, sets.Train.Height, sets.Train.Width));
        Assert.Equal(30, sets.Train.Count + sets.Validation.Count + sets.Test.Count);
        Assert.Equal(3, sets.Test.Count);          // 10 % of 30
        Assert.Equal(3, sets.Validation.Count);    // 10 % of the 27 training images, under --validation's 5000
        Assert.Equal(DatasetSource.ImageFolderName, sets.Name);
        // Class "b" (written as k = 0, stripe at rows 0-2) has index 2: its stripe is where its label says.
        var all = new[] { sets.Train, sets.Validation, sets.Test };
        foreach (var set in all)
            for (int i = 0; i < set.Count; i++)
                Assert.Equal(230, set.Image(i)[12 * 3 * (Array.IndexOf(new[] { "b", "a", "C" }, set.ClassNames[set.Label(i)]))]);
        var again = new DatasetSource(dir.Path).Load();
        Assert.Equal(sets.Test.Pixels.ToArray(), again.Test.Pixels.ToArray());
    }

    [Fact]
    public void Split_folders_are_respected_and_classes_map_through_the_models_names()
    {
        using var dir = new TestFolders.Scratch();
        ImageFolderFiles.WriteClasses(Path.Combine(dir.Path, "train"), Classes, perClass: 4);
        ImageFolderFiles.WriteClasses(Path.Combine(dir.Path, "val"), Classes, perClass: 2);
        ImageFolderFiles.WriteClasses(Path.Combine(dir.Path, "test"), ["circle", "triangle"], perClass: 3);

        var sets = new DatasetSource(dir.Path).Load();
        Assert.Equal((12, 6, 6), (sets.Train.Count, sets.Validation.Count, sets.Test.Count));
        Assert.Equal(Classes, sets.Test.ClassNames);
        Assert.Equal([3, 0, 3], sets.Test.ClassHistogram());

        // A model trained with the classes in another order reads the same folder with its own indices.
        var graph = ArchitectureRegistry.Build("reference_cnn", new(1.0, 12, 1, 3));
        var metadata = new Dictionary<string, string>();
        ModelMetadata.WriteClassNames(metadata, ["triangle", "circle", "square"]);
        var mapped = new DatasetSource(dir.Path).Load(graph, metadata);
        Assert.Equal([3, 3, 0], mapped.Test.ClassHistogram());
    }

    [Fact]
    public void Images_are_resized_bilinearly_and_converted_to_the_models_channels()
    {
        using var dir = new TestFolders.Scratch();
        (byte R, byte G, byte B) colour = (200, 100, 50);
        foreach (var c in Classes)
            ImageFolderFiles.WritePng(Path.Combine(dir.Path, c, "a.png"), 8, 6, (x, y) => new SKColor(colour.R, colour.G, colour.B), grey: false);
        // A 4x4 grey image of 2x2 blocks: halved with half-pixel centres, each output pixel is its block's mean.
        byte[] blocks = [10, 30, 50, 70, 90, 110, 130, 150, 170, 190, 210, 230, 0, 20, 40, 60];
        string blockPath = Path.Combine(dir.Path, "plane.png");
        ImageFolderFiles.WritePng(blockPath, 4, 4, (x, y) => new SKColor(blocks[y * 4 + x], blocks[y * 4 + x], blocks[y * 4 + x]));

        var grey = new byte[4 * 4];
        ImageDecoder.Decode(Path.Combine(dir.Path, "circle", "a.png"), new ActivationShape(1, 4, 4), grey);
        byte luma = (byte)((299 * colour.R + 587 * colour.G + 114 * colour.B + 500) / 1000);
        Assert.All(grey, v => Assert.Equal(luma, v));
        var rgb = new byte[3 * 5 * 7];
        ImageDecoder.Decode(Path.Combine(dir.Path, "circle", "a.png"), new ActivationShape(3, 5, 7), rgb);
        Assert.Equal([colour.R, colour.G, colour.B], new[] { rgb[0], rgb[35], rgb[70] });

        var half = new byte[2 * 2];
        ImageDecoder.Decode(blockPath, new ActivationShape(1, 2, 2), half);
        byte Mean(int y, int x) => (byte)Math.Round((blocks[y * 4 + x] + blocks[y * 4 + x + 1] + blocks[(y + 1) * 4 + x] + blocks[(y + 1) * 4 + x + 1]) / 4.0);
        Assert.Equal([Mean(0, 0), Mean(0, 2), Mean(2, 0), Mean(2, 2)], half);
        var same = new byte[16];
        ImageDecoder.Decode(blockPath, new ActivationShape(1, 4, 4), same);
        Assert.Equal(blocks, same);
    }

    [Fact]
    public void Train_eval_and_quantize_run_on_an_image_folder_from_the_command_line()
    {
        using var dir = new TestFolders.Scratch();
        string data = Path.Combine(dir.Path, "shapes"), model = dir.File("model.onnx");
        ImageFolderFiles.WriteClasses(data, Classes, perClass: 20, size: 16);

        var train = CliRunner.Run("train", "--arch", "plain_cnn", "--width", "0.25", "--data", data, "--epochs", "1", "--batch-size", "8", "-o", model, "--threads", "1");
        Assert.True(train.ExitCode == 0, train.Stdout + train.Stderr);
        var (_, metadata) = ModelFile.LoadWithMetadata(model);
        Assert.Equal(Classes, ModelMetadata.ReadClassNames(metadata));
        Assert.Equal(DatasetSource.ImageFolderName, metadata[ModelMetadata.Dataset]);

        var eval = CliRunner.Run("eval", model, "--data", data, "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.Stdout + eval.Stderr);
        Assert.Contains("on 6 images", eval.Stdout);   // the seeded test split: 10 % of 60
        var quantize = CliRunner.Run("quantize", "-m", model, "--data", data, "--w-bits", "8", "--a-bits", "8");
        Assert.True(quantize.ExitCode == 0, quantize.Stdout + quantize.Stderr);
        var finetune = CliRunner.Run("finetune", "-m", model, "--data", data, "--w-bits", "4", "--a-bits", "8", "--epochs", "1", "--batch-size", "8",
            "--output", dir.File("ft.onnx"), "--threads", "1");
        Assert.True(finetune.ExitCode == 0, finetune.Stdout + finetune.Stderr);
    }

    [Fact]
    public void Unlabelled_folder_serves_calibration_but_not_training_or_accuracy()
    {
        using var dir = new TestFolders.Scratch();
        string images = Path.Combine(dir.Path, "unlabelled"), model = dir.File("model.onnx");
        for (int i = 0; i < 40; i++)
            ImageFolderFiles.WritePng(Path.Combine(images, $"{i:D2}.png"), 12, 12, (x, y) => new SKColor((byte)(x * 20 + i), (byte)(y * 20), 0), grey: false);
        var graph = ArchitectureRegistry.Build("reference_cnn", new(1.0, 12, 1, 3));
        ModelFile.Save(MixBit.Nn.Model.Initialize(graph, 1), model);

        var data = QuantizeWorkflow.Load(model, images, 5000, EvaluationSplit.Validation, 0, new QuantizationOptions(), 0, labelsRequired: false);
        Assert.Equal(40, data.Validation.Count);
        Assert.Equal(1, data.Calibration.Channels);   // RGB images converted to the model's grey input
        Assert.True(data.Calibration.Count > 0 && data.Evaluation.Count > 0);

        var search = CliRunner.Run("search", "--model", model, "--data", images, "--reward", "fidelity", "--strategy", "uniform",
            "--flash", "1MB", "--ram", "256kB", "--eval-images", "10", "--out", dir.File("search"));
        Assert.True(search.ExitCode == 0, search.Stdout + search.Stderr);
        Assert.True(File.Exists(Path.Combine(dir.Path, "search", "summary.json")));
        CliAssert.CleanError(CliRunner.Run("search", "--model", model, "--data", images, "--strategy", "uniform", "--flash", "1MB", "--ram", "256kB",
            "--out", dir.File("search-accuracy")), "to measure accuracy");
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", images), "holds unlabelled images");
        CliAssert.CleanError(CliRunner.Run("train", "--arch", "reference_cnn", "--data", images, "-o", dir.File("t.onnx")), "to train, give a folder with one sub-folder of images per class");
    }

    [Fact]
    public void Bad_image_folders_get_one_line_naming_the_problem()
    {
        using var dir = new TestFolders.Scratch();
        string Folder(string name) { string p = Path.Combine(dir.Path, name); Directory.CreateDirectory(p); return p; }
        string model = Path.Combine(dir.Path, "m.onnx");
        ModelFile.Save(MixBit.Nn.Model.Initialize(ArchitectureRegistry.Build("reference_cnn", new(1.0, 12, 1, 3)), 1), model);

        var empty = Folder("empty");
        File.WriteAllText(Path.Combine(empty, "notes.txt"), "no images here");
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", empty), "holds no PNG or JPEG images");

        var emptyClass = Folder("empty-class");
        ImageFolderFiles.WriteClasses(emptyClass, ["a", "b"], perClass: 3);
        Folder("empty-class/c");
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", emptyClass), "'c' or remove the folder");

        var corrupt = Folder("corrupt");
        ImageFolderFiles.WriteClasses(corrupt, Classes, perClass: 3);
        File.WriteAllBytes(Path.Combine(corrupt, "square", "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", corrupt), Path.Combine(corrupt, "square", "broken.png"));

        var truncated = Folder("truncated");
        ImageFolderFiles.WriteClasses(truncated, Classes, perClass: 3);
        string cut = Path.Combine(truncated, "circle", "img001.png");
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..60]);
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", truncated), cut);

        var oneClass = Folder("one-class");
        ImageFolderFiles.WriteClasses(oneClass, ["only"], perClass: 3);
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", oneClass), "at least 2 classes");

        var mixed = Folder("mixed");
        ImageFolderFiles.WriteClasses(mixed, ["a", "b"], perClass: 2);
        ImageFolderFiles.WritePng(Path.Combine(mixed, "loose.png"), 4, 4, (_, _) => SKColors.White);
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", mixed), "both images (loose.png, ...) and class sub-folders");

        var noTest = Folder("no-test");
        ImageFolderFiles.WriteClasses(Path.Combine(noTest, "train"), ["a", "b"], perClass: 2);
        CliAssert.CleanError(CliRunner.Run("eval", model, "--data", noTest), "no test/ folder");
    }
}
