using MixBit.Data;

namespace MixBit.Tests.Data;

internal static class SyntheticData
{
    /// <summary>
    /// n images whose first two bytes store the sample index (low, high) so a sample can be recognised after
    /// shuffling; the other bytes are pseudo-random. Label = index % classes.
    /// </summary>
    public static ImageDataset Make(int n, int channels = 1, int height = 6, int width = 5, int classes = 4)
    {
        int size = channels * height * width;
        var pixels = new byte[n * size];
        new Random(n).NextBytes(pixels);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            pixels[i * size] = (byte)i;
            pixels[i * size + 1] = (byte)(i >> 8);
            labels[i] = i % classes;
        }
        return new ImageDataset(pixels, labels, channels, height, width, classes);
    }

    public static int IdOf(ReadOnlySpan<byte> image) => image[0] | image[1] << 8;
}
