namespace MixBit.Quantization;

/// <summary>
/// A Conv2d/Linear layer's weights on their integer grids, as computed from its current parameters (not left behind by
/// a forward pass): <see cref="Codes"/> in the float weight's row-major order [out, ...], one grid per output channel
/// (or one for the tensor), and the float bias the layer adds after the weighted sum (a folded BatchNorm's shift
/// included; zeros without bias). The fake-quantized weight of element i of channel c is Grid(c).Dequantize(Codes[i]).
/// </summary>
public sealed record QuantizedWeights(int OutChannels, int[] Codes, UniformQuantizer[] Grids, float[] Bias)
{
    public int PerChannel => Codes.Length / OutChannels;

    public UniformQuantizer Grid(int channel) => Grids.Length == 1 ? Grids[0] : Grids[channel];
}
