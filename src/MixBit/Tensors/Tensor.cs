namespace MixBit.Tensors;

/// <summary>
/// A dense float32 tensor in row-major order (NCHW for activations). The backing array may be larger than
/// <see cref="Length"/> so that a buffer can be reshaped to a smaller batch without reallocating.
/// </summary>
public sealed class Tensor
{
    private float[] _data;
    private int[] _shape;

    public Tensor(params int[] shape)
    {
        _shape = (int[])shape.Clone();
        Length = CheckedLength(shape);
        _data = new float[Length];
    }

    public Tensor(float[] data, params int[] shape)
    {
        _shape = (int[])shape.Clone();
        Length = CheckedLength(shape);
        if (data.Length < Length)
            throw new ArgumentException($"Data has {data.Length} elements, shape [{string.Join(", ", shape)}] needs {Length}.");
        _data = data;
    }

    /// <summary>The backing array; only the first <see cref="Length"/> elements belong to the tensor.</summary>
    public float[] Data => _data;
    public ReadOnlySpan<int> Shape => _shape;
    public int Rank => _shape.Length;
    public int Length { get; private set; }
    public Span<float> Span => _data.AsSpan(0, Length);

    public int Dim(int axis) => _shape[axis];

    /// <summary>Re-shapes in place, growing the backing array only when it is too small (contents are then lost).</summary>
    public void Reshape(params int[] shape)
    {
        int length = CheckedLength(shape);
        if (length > _data.Length) _data = new float[length];
        _shape = (int[])shape.Clone();
        Length = length;
    }

    public bool HasShape(ReadOnlySpan<int> shape) => shape.SequenceEqual(_shape);

    public void Clear() => Span.Clear();

    public Tensor Clone() => new(Span.ToArray(), _shape);

    public string ShapeString => "[" + string.Join(", ", _shape) + "]";

    public override string ToString() => $"Tensor{ShapeString}";

    private static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long length = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException("Tensor dimensions must be non-negative.");
            length *= d;
        }
        if (length > Array.MaxLength) throw new ArgumentException("Tensor too large.");
        return (int)length;
    }
}
