namespace MixBit.Nn.Specs;

/// <summary>
/// Shape of one sample's activation, channels x height x width. Flat feature vectors are C x 1 x 1, so
/// every tensor in a model is described the same way.
/// </summary>
public readonly record struct ActivationShape(int Channels, int Height, int Width)
{
    /// <summary>
    /// Most values one sample's tensor may have: tensors are indexed by int. Far above any microcontroller model; a
    /// graph whose tensors exceed it is refused when it is built (<see cref="CheckSize"/>), never overflows later.
    /// </summary>
    public const long MaxElements = int.MaxValue;

    public int Elements => checked(Channels * Height * Width);

    /// <summary>C x H x W without overflow.</summary>
    public long LongElements => (long)Channels * Height * Width;

    /// <summary>Throws a <see cref="ModelException"/> naming <paramref name="what"/> when the shape is larger than <see cref="MaxElements"/>.</summary>
    public void CheckSize(string what)
    {
        if (LongElements > MaxElements)
            throw new ModelException($"{what} is {this} = {LongElements:N0} values per image, more than the {MaxElements:N0} MixBit supports; use a smaller input size.");
    }
    public override string ToString() => Height == 1 && Width == 1 ? $"{Channels}" : $"{Channels}x{Height}x{Width}";
}
