using MixBit.Data;

namespace MixBit.Quantization;

/// <summary>
/// The network input's grid, the one place it is defined (docs/INTEGER.md): the device takes the raw 8-bit pixel p, and
/// the normalisation x = (p / 255 - mean) / std is folded into the grid as scale 1 / (255 * std) and zero point
/// z = round(255 * mean) (half away from zero), so x ~ scale * (p - z) and the code of a normalised pixel is p itself.
/// The fake-quant network quantizes its input on this grid and the integer model takes it as its input tensor, so both
/// see the same codes.
/// </summary>
public static class InputGrid
{
    public static UniformQuantizer Of(Normalization normalization)
    {
        for (int c = 1; c < normalization.Channels; c++)
            if (normalization.Mean[c] != normalization.Mean[0] || normalization.Std[c] != normalization.Std[0])
                throw new MixBitException($"The input normalisation differs between channels ({normalization}); the 8-bit input grid folds one mean and one std, so normalise every channel alike.");
        int zeroPoint = (int)Math.Round(255.0 * normalization.Mean[0], MidpointRounding.AwayFromZero);
        if (zeroPoint is < 0 or > 255)
            throw new MixBitException($"The input normalisation mean {normalization.Mean[0]} puts the zero point outside the 8-bit pixel range.");
        return new UniformQuantizer(BitPolicy.InputBits, Signed: false, normalization.Scale(0), zeroPoint);
    }
}
