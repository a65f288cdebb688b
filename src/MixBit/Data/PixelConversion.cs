using System.Numerics;

namespace MixBit.Data;

/// <summary>
/// Bytes to normalised floats, y = byte * scale + offset: a SIMD path (Vector&lt;T&gt;, widening byte -> u16 -> u32
/// -> float) and the scalar loop it shares for the tail. Both round identically (multiply, then add; no FMA).
/// </summary>
public static class PixelConversion
{
    public static void Convert(ReadOnlySpan<byte> source, Span<float> destination, float scale, float offset)
    {
        if (destination.Length < source.Length) throw new ArgumentException("Destination is shorter than the source.", nameof(destination));
        int i = Vector.IsHardwareAccelerated ? ConvertVector(source, destination, scale, offset) : 0;
        ConvertScalar(source[i..], destination[i..], scale, offset);
    }

    /// <summary>The scalar loop (also the tail of the SIMD path); public so tests can compare the two.</summary>
    public static void ConvertScalar(ReadOnlySpan<byte> source, Span<float> destination, float scale, float offset)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = source[i] * scale + offset;
    }

    /// <summary>Converts whole vectors of bytes; returns how many bytes were done.</summary>
    internal static int ConvertVector(ReadOnlySpan<byte> source, Span<float> destination, float scale, float offset)
    {
        int step = Vector<byte>.Count, lane = Vector<float>.Count;
        var vScale = new Vector<float>(scale);
        var vOffset = new Vector<float>(offset);
        int i = 0;
        for (; i <= source.Length - step; i += step)
        {
            Vector.Widen(new Vector<byte>(source[i..]), out Vector<ushort> low, out Vector<ushort> high);
            Vector.Widen(low, out Vector<uint> q0, out Vector<uint> q1);
            Vector.Widen(high, out Vector<uint> q2, out Vector<uint> q3);
            (Vector.ConvertToSingle(q0) * vScale + vOffset).CopyTo(destination[i..]);
            (Vector.ConvertToSingle(q1) * vScale + vOffset).CopyTo(destination[(i + lane)..]);
            (Vector.ConvertToSingle(q2) * vScale + vOffset).CopyTo(destination[(i + 2 * lane)..]);
            (Vector.ConvertToSingle(q3) * vScale + vOffset).CopyTo(destination[(i + 3 * lane)..]);
        }
        return i;
    }
}
