using SkiaSharp;

namespace MixBit.Tests.Data;

/// <summary>Writes small PNG image folders with SkiaSharp: classes told apart by where the bright stripe is.</summary>
internal static class ImageFolderFiles
{
    /// <summary>Writes an image whose pixel (x, y) has the colour <paramref name="colour"/> gives.</summary>
    public static void WritePng(string path, int width, int height, Func<int, int, SKColor> colour, bool grey = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) bitmap.SetPixel(x, y, colour(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>
    /// <paramref name="perClass"/> grey 12x12 images in <paramref name="folder"/>/&lt;class&gt;/ for each class: class k has a
    /// bright horizontal stripe at rows 3k..3k+2 on noise.
    /// </summary>
    public static void WriteClasses(string folder, IReadOnlyList<string> classes, int perClass, int size = 12, int seed = 1)
    {
        var random = new Random(seed);
        for (int k = 0; k < classes.Count; k++)
            for (int i = 0; i < perClass; i++)
            {
                var noise = Enumerable.Range(0, size * size).Select(_ => (byte)random.Next(60)).ToArray();
                WritePng(Path.Combine(folder, classes[k], $"img{i:D3}.png"), size, size,
                    (x, y) => y / 3 == k ? new SKColor(230, 230, 230) : new SKColor(noise[y * size + x], noise[y * size + x], noise[y * size + x]));
            }
    }
}
