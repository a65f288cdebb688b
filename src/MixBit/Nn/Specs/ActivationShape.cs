namespace MixBit.Nn.Specs;

/// <summary>
/// Shape of one sample's activation, channels x height x width. Flat feature vectors are C x 1 x 1, so
/// every tensor in a model is described the same way.
/// </summary>
public readonly record struct ActivationShape(int Channels, int Height, int Width)
{
    public int Elements => checked(Channels * Height * Width);
    public override string ToString() => Height == 1 && Width == 1 ? $"{Channels}" : $"{Channels}x{Height}x{Width}";
}
