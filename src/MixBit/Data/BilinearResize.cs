namespace MixBit.Data;

/// <summary>
/// Bilinear resizing of one 8-bit plane with half-pixel centres (the convention of PyTorch's align_corners=False and
/// of OpenCV): output pixel (y, x) samples the input at ((y + 0.5) * h / H - 0.5, (x + 0.5) * w / W - 0.5), clamped
/// to the edge, rounded to the nearest byte.
/// </summary>
public static class BilinearResize
{
    public static void Resize(ReadOnlySpan<byte> source, int sourceHeight, int sourceWidth, Span<byte> destination, int height, int width)
    {
        if (source.Length != sourceHeight * sourceWidth || destination.Length != height * width)
            throw new ArgumentException("Plane sizes do not match their dimensions.");
        if (sourceHeight == height && sourceWidth == width) { source.CopyTo(destination); return; }
        var (x0, x1, fx) = Taps(sourceWidth, width);
        var (y0, y1, fy) = Taps(sourceHeight, height);
        for (int y = 0; y < height; y++)
        {
            var top = source.Slice(y0[y] * sourceWidth, sourceWidth);
            var bottom = source.Slice(y1[y] * sourceWidth, sourceWidth);
            for (int x = 0; x < width; x++)
            {
                float upper = top[x0[x]] + (top[x1[x]] - top[x0[x]]) * fx[x];
                float lower = bottom[x0[x]] + (bottom[x1[x]] - bottom[x0[x]]) * fx[x];
                destination[y * width + x] = (byte)Math.Clamp(MathF.Round(upper + (lower - upper) * fy[y]), 0, 255);
            }
        }
    }

    /// <summary>For each output index: the two input indices it lies between and the weight of the second.</summary>
    private static (int[] Low, int[] High, float[] Fraction) Taps(int sourceSize, int size)
    {
        var (low, high, fraction) = (new int[size], new int[size], new float[size]);
        double scale = (double)sourceSize / size;
        for (int i = 0; i < size; i++)
        {
            double at = Math.Clamp((i + 0.5) * scale - 0.5, 0, sourceSize - 1);
            low[i] = (int)at;
            high[i] = Math.Min(low[i] + 1, sourceSize - 1);
            fraction[i] = (float)(at - low[i]);
        }
        return (low, high, fraction);
    }
}
