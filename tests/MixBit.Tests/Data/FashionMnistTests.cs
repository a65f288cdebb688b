using MixBit.Data;

namespace MixBit.Tests.Data;

public class FashionMnistTests
{
    [Fact]
    public void Loads_a_synthetic_directory_of_gzipped_and_raw_files()
    {
        using var files = new IdxTestFiles();
        var pixels = Enumerable.Range(0, 3 * 28 * 28).Select(i => (byte)i).ToArray();
        files.WriteImages("train-images-idx3-ubyte.gz", 3, 28, 28, pixels, gzip: true);
        files.WriteLabels("train-labels-idx1-ubyte.gz", [9, 0, 4], gzip: true);
        files.WriteImages("t10k-images-idx3-ubyte", 2, 28, 28, pixels[..(2 * 784)], gzip: false);
        files.WriteLabels("t10k-labels-idx1-ubyte", [1, 2], gzip: false);

        var sets = FashionMnist.Load(files.Directory);
        Assert.Equal((3, 2), (sets.Train.Count, sets.Test.Count));
        Assert.Equal(9, sets.Train.Label(0));
        Assert.Equal("Ankle boot", sets.Train.ClassNames[9]);
        Assert.True(sets.Test.Image(1).SequenceEqual(pixels.AsSpan(784, 784)));
    }

    [Fact]
    public void Missing_directory_says_how_to_install()
    {
        var e = Assert.Throws<MixBitException>(() => FashionMnist.Load("/nonexistent/fmnist"));
        Assert.StartsWith("Fashion-MNIST not found in /nonexistent/fmnist", e.Message);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("--data DIR", e.Message);
    }

    [Fact]
    public void Mismatched_counts_and_out_of_range_labels_are_reported()
    {
        using var files = new IdxTestFiles();
        string images = files.WriteImages("i", 3, 2, 2, new byte[12], gzip: false);
        string two = files.WriteLabels("two", [1, 2], gzip: false);
        string bad = files.WriteLabels("bad", [1, 2, 10], gzip: false);
        Assert.Contains("3 images", Assert.Throws<MixBitException>(() => FashionMnist.LoadPair(images, two)).Message);
        Assert.Contains("label 10", Assert.Throws<MixBitException>(() => FashionMnist.LoadPair(images, bad)).Message);
    }

    [Fact]
    public void Real_dataset_has_60000_and_10000_balanced_images()
    {
        if (!File.Exists(Path.Combine(FashionMnist.DefaultDirectory, "train-images-idx3-ubyte.gz"))) return; // only on machines without the apt package
        var sets = FashionMnist.Load();
        Assert.Equal(60_000, sets.Train.Count);
        Assert.Equal(10_000, sets.Test.Count);
        Assert.Equal((1, 28, 28, 10), (sets.Train.Channels, sets.Train.Height, sets.Train.Width, sets.Train.ClassCount));
        Assert.All(sets.Train.ClassHistogram(), n => Assert.Equal(6_000, n));
        Assert.All(sets.Test.ClassHistogram(), n => Assert.Equal(1_000, n));

        // Widely quoted Fashion-MNIST training statistics: mean 0.2860, std 0.3530.
        var norm = Normalization.FromTrainingSet(sets.Train);
        Assert.Equal(0.2860, norm.Mean[0], 3);
        Assert.Equal(0.3530, norm.Std[0], 3);
    }
}
