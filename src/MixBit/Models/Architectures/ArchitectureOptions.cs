using MixBit.Nn.Specs;

namespace MixBit.Models.Architectures;

/// <summary>Parameters shared by the built-in architectures.</summary>
public sealed record ArchitectureOptions(double Width = 1.0, int Resolution = 224, int InputChannels = 3, int Classes = 1000, float Dropout = 0f)
{
    public ActivationShape InputShape => new(InputChannels, Resolution, Resolution);

    public void Validate()
    {
        if (!(Width > 0 && Width <= 4)) throw new ModelException($"Width multiplier {Width} is out of range (0, 4].");
        if (Resolution < 8) throw new ModelException($"Resolution {Resolution} is too small (minimum 8).");
        if (InputChannels <= 0) throw new ModelException("Input channels must be positive.");
        if (Classes < 2) throw new ModelException("A classifier needs at least 2 classes.");
    }

    /// <summary>
    /// Networks designed for 224x224 downsample 32x. On small inputs (below 64 px, e.g. 28x28 Fashion-MNIST)
    /// the stem keeps stride 1 so that the last feature map stays larger than 1x1.
    /// </summary>
    public int StemStride => Resolution < 64 ? 1 : 2;

    /// <summary>Channels rounded to a multiple of <paramref name="divisor"/>, never below 90% of c*width (TF's make_divisible).</summary>
    public int Scaled(int channels, int divisor = 8)
    {
        double v = channels * Width;
        int r = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        if (r < 0.9 * v) r += divisor;
        return r;
    }
}
