namespace MixBit.Tensors;

/// <summary>
/// A matrix inside a flat float array, as <see cref="Gemm"/> reads and writes it. Element (r, c) lies at
/// Offset + Index(r; RowStride, RowGroup, RowGroupStride) + Index(c; ColStride, ColGroup, ColGroupStride), where
/// Index(i; s, g, gs) = (i / g) * gs + (i mod g) * s, or i * s when g = 0. A grouped dimension spans the images of an
/// NCHW batch: with g = H*W, columns [n*g, (n+1)*g) are the positions of image n, so one product covers a whole batch
/// (<see cref="Nchw"/>). Transposing swaps the two dimensions. Strides are non-negative.
/// </summary>
public readonly record struct MatrixView(float[] Data, int Offset, int RowStride, int ColStride,
    int RowGroup = 0, int RowGroupStride = 0, int ColGroup = 0, int ColGroupStride = 0)
{
    /// <summary>A row-major matrix with leading dimension <paramref name="ld"/>.</summary>
    public static MatrixView RowMajor(float[] data, int ld, int offset = 0) => new(data, offset, ld, 1);

    /// <summary>
    /// Channels x (images * positions) of an NCHW tensor region: row c, column n*hw + p is
    /// data[offset + n*imageStride + c*hw + p] (imageStride = channels of the whole tensor * hw).
    /// </summary>
    public static MatrixView Nchw(float[] data, int offset, int hw, int imageStride) => new(data, offset, hw, 1, 0, 0, hw, imageStride);

    public MatrixView Transposed => new(Data, Offset, ColStride, RowStride, ColGroup, ColGroupStride, RowGroup, RowGroupStride);

    public int RowIndex(int r) => RowGroup == 0 ? r * RowStride : r / RowGroup * RowGroupStride + r % RowGroup * RowStride;
    public int ColIndex(int c) => ColGroup == 0 ? c * ColStride : c / ColGroup * ColGroupStride + c % ColGroup * ColStride;

    /// <summary>Whether columns [c, c + count) of a row are adjacent floats.</summary>
    internal bool UnitColumns(int c, int count) => ColStride == 1 && (ColGroup == 0 || c / ColGroup == (c + count - 1) / ColGroup);

    /// <summary>Whether rows [r, r + count) are in one group, so that consecutive rows are RowStride apart.</summary>
    internal bool UngroupedRows(int r, int count) => RowGroup == 0 || r / RowGroup == (r + count - 1) / RowGroup;

    /// <summary>Throws unless every element of a rows x cols matrix lies inside <see cref="Data"/>.</summary>
    internal void Check(int rows, int cols, string name)
    {
        if (rows == 0 || cols == 0) return;
        if (Offset < 0 || RowStride < 0 || ColStride < 0 || RowGroup < 0 || ColGroup < 0 || RowGroupStride < 0 || ColGroupStride < 0)
            throw new ArgumentException($"GEMM operand {name}: negative offset or stride.");
        long last = (long)Offset + MaxIndex(rows, RowStride, RowGroup, RowGroupStride) + MaxIndex(cols, ColStride, ColGroup, ColGroupStride);
        if (last >= Data.Length) throw new ArgumentException($"GEMM operand {name} too small for the given sizes and strides.");
    }

    /// <summary>Largest Index(i) over i &lt; count: the last index, or the end of the previous full group if larger.</summary>
    private static long MaxIndex(int count, int s, int g, int gs)
    {
        if (g == 0 || count <= g) return (long)(count - 1) * s;
        long q = (count - 1) / g;
        return Math.Max(q * gs + (long)((count - 1) % g) * s, (q - 1) * gs + (long)(g - 1) * s);
    }
}

/// <summary>
/// What a product's store applies to each finished element of row r: v = clamp(v + Bias[r], Lo, Hi) (bias optional);
/// conv + folded BN + ReLU6 in one pass over the output. The default value applies nothing.
/// </summary>
public readonly struct GemmEpilogue(float[]? bias, float lo = float.NegativeInfinity, float hi = float.PositiveInfinity)
{
    private readonly bool _set = true;

    public float[]? Bias { get; } = bias;
    public float Lo { get; } = lo;
    public float Hi { get; } = hi;

    public bool IsIdentity => !_set || (Bias is null && float.IsNegativeInfinity(Lo) && float.IsPositiveInfinity(Hi));
}
