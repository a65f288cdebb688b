namespace MixBit.Integer.Engine;

/// <summary>
/// One worker's buffers: every tensor of the model unpacked to int16 codes (NHWC, one image), with 2 spare elements at
/// the end so a kernel may read an int16 pair that starts at the last element; a buffer for an input minus its zero point;
/// and the im2col rows of the kernels that need them.
/// </summary>
internal sealed class EngineArena
{
    public const int Spare = 2;

    public EngineArena(QuantizedModel model, int columnShorts)
    {
        Tensors = model.Tensors.Select(t => new short[t.Elements + Spare]).ToArray();
        Centered = new short[model.Tensors.Max(t => t.Elements) + Spare];
        Columns = new short[columnShorts];
    }

    public short[][] Tensors { get; }
    public short[] Columns { get; }
    private short[] Centered { get; }

    /// <summary>Tensor <paramref name="tensor"/> minus <paramref name="zeroPoint"/> (the tensor itself when the zero point is 0).</summary>
    public short[] CenteredInput(int tensor, int elements, int zeroPoint)
    {
        var x = Tensors[tensor];
        if (zeroPoint == 0) return x;
        for (int i = 0; i < elements; i++) Centered[i] = (short)(x[i] - zeroPoint);
        Centered.AsSpan(elements, Spare).Clear();
        return Centered;
    }
}
