using MixBit.Data;
using MixBit.Nn.Graph;

namespace MixBit.Workflows;

/// <summary>
/// Where images come from (--data): Fashion-MNIST by default (or `fashion-mnist`), a folder of its IDX files, or an
/// image folder (<see cref="ImageFolderLayout"/>). A missing folder is reported as missing Fashion-MNIST.
/// </summary>
public sealed record DatasetSource(string? Directory = null, int ValidationCount = 5000, int SplitSeed = 0)
{
    public const string FashionMnistName = "fashion-mnist", ImageFolderName = "image-folder";

    /// <summary>Share of an image folder's training images held out for validation when it has no val/ folder (at most <see cref="ValidationCount"/>).</summary>
    public const double ImageFolderValidationFraction = 0.1;

    /// <summary>What --data says, for help texts.</summary>
    public static string Description =>
        $"Data: `{FashionMnistName}` (default, {FashionMnist.DefaultDirectory}), a folder of its IDX files, or a folder of PNG/JPEG images with one sub-folder per class (optionally inside train/, val/, test/)";

    /// <summary>The folder read, in full (the Fashion-MNIST default for none or its name): what a checkpoint records.</summary>
    public string Location => Path.GetFullPath(Directory is null || IsFashionMnistName(Directory) ? FashionMnist.DefaultDirectory : Directory);

    public bool IsImageFolder => Directory is { } d && !IsFashionMnistName(d) && System.IO.Directory.Exists(d) && !HasIdxFiles(d);

    /// <summary>
    /// Loads the data and splits a seeded validation set off the training set (unless an image folder has val/).
    /// <paramref name="model"/> (with its <paramref name="metadata"/>) fixes an image folder's image shape and class order.
    /// Inside a <see cref="DatasetScope"/> a second load of the same data is the first one's splits.
    /// </summary>
    public DatasetSplits Load(ModelGraph? model = null, IReadOnlyDictionary<string, string>? metadata = null)
        => DatasetScope.GetOrLoad(this, model, metadata, () => LoadFiles(model, metadata));

    private DatasetSplits LoadFiles(ModelGraph? model, IReadOnlyDictionary<string, string>? metadata)
    {
        if (!IsImageFolder)
        {
            var sets = FashionMnist.Load(Directory is { } d && IsFashionMnistName(d) ? null : Directory);
            var (train, validation) = SplitValidation(sets.Train, ValidationCount);
            return new DatasetSplits(train, validation, sets.Test, FashionMnistName, Directory ?? FashionMnist.DefaultDirectory, true);
        }
        var folder = ImageFolderDataset.Load(Directory!, model?.InputShape, metadata is null ? null : ModelMetadata.ReadClassNames(metadata), SplitSeed,
            model is null ? 2 : (int)model.OutputShape.LongElements);
        if (!folder.Labelled) return new DatasetSplits(folder.Train, folder.Train, folder.Test, ImageFolderName, Directory!, false);
        if (folder.Validation is { } given) return new DatasetSplits(folder.Train, given, folder.Test, ImageFolderName, Directory!, true);
        int count = Math.Min(ValidationCount, Math.Max(1, (int)Math.Round(folder.Train.Count * ImageFolderValidationFraction)));
        var (rest, held) = SplitValidation(folder.Train, count);
        return new DatasetSplits(rest, held, folder.Test, ImageFolderName, Directory!, true);
    }

    private (ImageDataset Train, ImageDataset Validation) SplitValidation(ImageDataset train, int count)
    {
        if (count < 0 || count >= train.Count)
            throw new MixBitException($"--validation must be in [0, {train.Count}), got {count}.");
        return train.Split(count, SplitSeed);
    }

    private static bool IsFashionMnistName(string directory) => string.Equals(directory, FashionMnistName, StringComparison.OrdinalIgnoreCase) && !System.IO.Directory.Exists(directory);

    /// <summary>A folder with any of the Fashion-MNIST file names is an IDX folder (a missing one is then reported by name).</summary>
    private static bool HasIdxFiles(string directory)
        => FashionMnist.FileNames.Any(n => File.Exists(Path.Combine(directory, n)) || File.Exists(Path.Combine(directory, n + ".gz")));
}
