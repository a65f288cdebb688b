using System.Numerics;

namespace MixBit.Quantization;

/// <summary>
/// A uniform quantizer made of its parts (Brevitas <c>core/quant</c>): bit-width, signedness, narrow range, scale and
/// zero point. q = clamp(round(x / Scale) + ZeroPoint, QMin, QMax); the fake-quantized value is (q - ZeroPoint) * Scale.
/// Signed grids are [-2^(b-1), 2^(b-1) - 1], or [-(2^(b-1) - 1), 2^(b-1) - 1] when narrow (zero-centred, so -q is
/// representable; 2-bit narrow weights are ternary); unsigned grids are [0, 2^b - 1].
/// </summary>
public readonly record struct UniformQuantizer(int Bits, bool Signed, float Scale, int ZeroPoint = 0, bool NarrowRange = false)
{
    public int QMin => Signed ? -(1 << (Bits - 1)) + (NarrowRange ? 1 : 0) : 0;
    public int QMax => Signed ? (1 << (Bits - 1)) - 1 : (1 << Bits) - 1;

    /// <summary>Number of grid levels: 2^bits (one less for a narrow signed grid).</summary>
    public int Levels => QMax - QMin + 1;

    /// <summary>Smallest and largest representable real values; inputs outside are clamped (and get no STE gradient).</summary>
    public float Low => (QMin - ZeroPoint) * Scale;
    public float High => (QMax - ZeroPoint) * Scale;

    /// <summary>Symmetric (zero point 0) signed grid whose largest level is <paramref name="maxAbs"/>.</summary>
    public static UniformQuantizer Symmetric(int bits, float maxAbs, bool narrowRange = true)
    {
        var q = new UniformQuantizer(bits, true, 1f, 0, narrowRange);
        return q with { Scale = SafeScale(maxAbs / q.QMax) };
    }

    /// <summary>Unsigned grid over [0, max] (after a ReLU: PACT's clip value is max).</summary>
    public static UniformQuantizer Unsigned(int bits, float max) => new(bits, false, SafeScale(max / ((1 << bits) - 1)));

    /// <summary>Asymmetric unsigned grid over [min, max] with an integer zero point; the range is widened to contain 0.</summary>
    public static UniformQuantizer Asymmetric(int bits, float min, float max)
    {
        min = MathF.Min(min, 0f);
        max = MathF.Max(max, 0f);
        int qmax = (1 << bits) - 1;
        float scale = SafeScale((max - min) / qmax);
        int zero = Math.Clamp((int)MathF.Round(-min / scale), 0, qmax);
        return new UniformQuantizer(bits, false, scale, zero);
    }

    /// <summary>
    /// The integer code of <paramref name="x"/>: clamp(round(x * (1 / Scale)), QMin - z, QMax - z) + z, rounding half to
    /// even, with the same float arithmetic as <see cref="FakeQuantize(ReadOnlySpan{float}, Span{float})"/>, so a code
    /// times the scale is exactly the fake-quantized value.
    /// </summary>
    public int Quantize(float x) => (int)Math.Clamp(MathF.Round(x * (1f / Scale)), QMin - ZeroPoint, QMax - ZeroPoint) + ZeroPoint;

    public float Dequantize(int q) => (q - ZeroPoint) * Scale;

    public float FakeQuantize(float x) => Dequantize(Quantize(x));

    /// <summary>y = fake-quantized x (may alias).</summary>
    public void FakeQuantize(ReadOnlySpan<float> x, Span<float> y)
    {
        // y = clamp(round(x / s), QMin - z, QMax - z) * s in one SIMD pass. Clamping first (the bounds are integers) keeps
        // |v| <= 2^16, where (v + 1.5 * 2^23) - 1.5 * 2^23 rounds to nearest even exactly like MathF.Round.
        const float Magic = 12582912f;
        float inv = 1f / Scale, lo = QMin - ZeroPoint, hi = QMax - ZeroPoint, s = Scale;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vInv = new Vector<float>(inv); var vLo = new Vector<float>(lo); var vHi = new Vector<float>(hi);
            var vS = new Vector<float>(s); var vMagic = new Vector<float>(Magic);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = Vector.Min(Vector.Max(new Vector<float>(x[i..]) * vInv, vLo), vHi);
                ((v + vMagic - vMagic) * vS).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++) y[i] = Math.Clamp(MathF.Round(x[i] * inv), lo, hi) * s;
    }

    /// <summary>Sum of squared fake-quantization errors over <paramref name="x"/> (range searches minimise it).</summary>
    public double SquaredError(ReadOnlySpan<float> x)
    {
        float inv = 1f / Scale, lo = QMin - ZeroPoint, hi = QMax - ZeroPoint, s = Scale;
        double e = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float d = Math.Clamp(MathF.Round(x[i] * inv), lo, hi) * s - x[i];
            e += d * d;
        }
        return e;
    }

    public override string ToString() => $"{(Signed ? "int" : "uint")}{Bits} scale {Scale:G4} zp {ZeroPoint}";

    /// <summary>A zero range (dead channel) still needs a positive scale.</summary>
    private static float SafeScale(float s) => s > 1e-12f && float.IsFinite(s) ? s : 1e-8f;
}
