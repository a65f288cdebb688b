using MixBit.Data;

namespace MixBit.Integer;

/// <summary>A dataset's images (CHW bytes) as the integer model takes them: raw pixels, NHWC, image after image.</summary>
public static class ImagePixels
{
    public static byte[] Nhwc(ImageDataset data, int count = -1)
    {
        if (count < 0) count = data.Count;
        int c = data.Channels, hw = data.Height * data.Width, size = data.SampleSize;
        var pixels = new byte[(long)count * size];
        for (int i = 0; i < count; i++)
        {
            var image = data.Image(i);
            if (c == 1) { image.CopyTo(pixels.AsSpan(i * size, size)); continue; }
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++) pixels[i * size + p * c + ch] = image[ch * hw + p];
        }
        return pixels;
    }
}
