using MixBit.Nn.Specs;
using SkiaSharp;

namespace MixBit.Data;

/// <summary>What a PNG or JPEG file's header says: its size and whether it is grey-scale.</summary>
public readonly record struct ImageHeader(int Width, int Height, bool Grey);

/// <summary>
/// Decodes PNG and JPEG files with SkiaSharp into CHW bytes of a given shape: grey (luma, ITU-R BT.601 weights) for one
/// channel, RGB for three, resized bilinearly (<see cref="BilinearResize"/>). Transparency is dropped. Every failure
/// names the file.
/// </summary>
public static class ImageDecoder
{
    public static ImageHeader ReadHeader(string path)
    {
        using var codec = Open(path, out var stream);
        using var _ = stream;
        return new ImageHeader(codec.Info.Width, codec.Info.Height, codec.Info.ColorType == SKColorType.Gray8);
    }

    /// <summary>Writes the image as <paramref name="shape"/> (1 or 3 channels) into <paramref name="destination"/>.</summary>
    public static void Decode(string path, ActivationShape shape, Span<byte> destination)
    {
        if (shape.Channels is not (1 or 3))
            throw new MixBitException($"Images have 1 (grey) or 3 (RGB) channels; a model with {shape.Channels} input channels cannot take them.");
        using var codec = Open(path, out var stream);
        using var _ = stream;
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new MixBitException($"The image '{path}' could not be decoded ({Describe(result)}): replace or remove the file.");
        var rgba = bitmap.GetPixelSpan();
        int pixels = info.Width * info.Height, plane = shape.Height * shape.Width;
        var channel = new byte[pixels];
        for (int c = 0; c < shape.Channels; c++)
        {
            for (int i = 0; i < pixels; i++)
            {
                int r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
                channel[i] = shape.Channels == 1 ? (byte)((299 * r + 587 * g + 114 * b + 500) / 1000) : rgba[4 * i + c];
            }
            BilinearResize.Resize(channel, info.Height, info.Width, destination.Slice(c * plane, plane), shape.Height, shape.Width);
        }
    }

    private static SKCodec Open(string path, out Stream stream)
    {
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MixBitException($"The image '{path}' could not be read ({e.Message}): check the file and its permissions.");
        }
        var codec = SKCodec.Create(stream, out var result);
        if (codec is null)
        {
            stream.Dispose();
            throw new MixBitException($"'{path}' is not a readable PNG or JPEG image ({Describe(result)}): replace or remove the file.");
        }
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
        {
            codec.Dispose();
            stream.Dispose();
            throw new MixBitException($"The image '{path}' declares an empty {width}x{height} size: replace or remove the file.");
        }
        return codec;
    }

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput => "the file is truncated or damaged",
        SKCodecResult.Unimplemented => "an encoding SkiaSharp cannot decode",
        _ => $"SkiaSharp says {result}",
    };
}
