namespace MixBit.Data;

/// <summary>A training set and its test set.</summary>
public sealed record TrainTestSets(ImageDataset Train, ImageDataset Test);

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test grey-scale 28x28 images of 10 clothing
/// classes, as gzipped IDX files (Debian package dataset-fashion-mnist).
/// </summary>
public static class FashionMnist
{
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";
    public const int ClassCount = 10;

    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static readonly IReadOnlyList<string> FileNames =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Loads both sets from <paramref name="directory"/> (default <see cref="DefaultDirectory"/>); each file may be .gz or raw.</summary>
    public static TrainTestSets Load(string? directory = null)
    {
        directory ??= DefaultDirectory;
        if (File.Exists(directory))
            throw new MixBitException($"--data '{directory}' is a file; give the folder that holds the Fashion-MNIST IDX files, or a folder of images with one sub-folder per class.");
        var paths = FileNames.Select(name => Locate(directory, name)).ToArray();
        // The four files are independent; decompressing them concurrently halves the wait on 2 cores.
        var train = Task.Run(() => LoadPair(paths[0], paths[1]));
        var test = LoadPair(paths[2], paths[3]);
        return new TrainTestSets(train.GetAwaiter().GetResult(), test);
    }

    /// <summary>Reads one image file and its label file into a 10-class dataset.</summary>
    public static ImageDataset LoadPair(string imagesPath, string labelsPath)
    {
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw new MixBitException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels: use matching files.");
        var intLabels = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            intLabels[i] = labels[i];
            if (labels[i] >= ClassCount)
                throw new MixBitException($"{labelsPath} has label {labels[i]} at sample {i}, outside 0..{ClassCount - 1}: it is not a Fashion-MNIST label file.");
        }
        return new ImageDataset(images.Pixels, intLabels, 1, images.Height, images.Width, ClassCount, ClassNames);
    }

    private static string Locate(string directory, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new MixBitException($"Fashion-MNIST not found in {directory} ({name}.gz is missing): install it with `sudo apt-get install dataset-fashion-mnist` or pass --data DIR.");
    }
}
