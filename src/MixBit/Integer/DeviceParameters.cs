using System.Buffers.Binary;

namespace MixBit.Integer;

/// <summary>
/// The integer parameters of an op as the device stores them in FLASH beside the packed weights, little-endian, int32
/// fields first so that every int32 is 4-byte aligned when the block is (the byte counts are
/// <see cref="Memory.DeployedParameterLayout"/>'s; a test holds the two equal):
/// <list type="bullet">
/// <item>conv / depthwise / linear: input zp, output zp, clamp min, clamp max; bias[c_out]; M0[c_out]; then int8 shift[c_out].</item>
/// <item>average / global average pool: M0, input zp, output zp, clamp min, clamp max; then int8 shift.</item>
/// <item>add: M0 of a, M0 of b, zp of a, zp of b, output zp, clamp min, clamp max; then the one int8 shift.</item>
/// <item>max pool: nothing.</item>
/// </list>
/// </summary>
public static class DeviceParameters
{
    public static byte[] Of(QuantizedOp op)
    {
        var w = new Writer();
        switch (op)
        {
            case QuantizedLayer l:
                w.Int32s(l.InputZeroPoint, l.OutputZeroPoint, l.ActivationMin, l.ActivationMax);
                w.Int32s(l.Bias);
                w.Int32s(l.Multipliers.Select(m => m.M0).ToArray());
                foreach (var m in l.Multipliers) w.Int8(m.Shift);
                break;
            case QuantizedAveragePool p:
                w.Int32s(p.Multiplier.M0, p.InputZeroPoint, p.OutputZeroPoint, p.ActivationMin, p.ActivationMax);
                w.Int8(p.Multiplier.Shift);
                break;
            case QuantizedAdd a:
                w.Int32s(a.MultiplierA, a.MultiplierB, a.ZeroPointA, a.ZeroPointB, a.OutputZeroPoint, a.ActivationMin, a.ActivationMax);
                w.Int8(a.Shift);
                break;
            case QuantizedMaxPool:
                break;
            default:
                throw new ArgumentException($"Unknown op type {op.GetType().Name}.", nameof(op));
        }
        return w.ToArray();
    }

    private sealed class Writer
    {
        private readonly List<byte> _bytes = [];

        public void Int32s(params int[] values)
        {
            Span<byte> b = stackalloc byte[4];
            foreach (int v in values)
            {
                BinaryPrimitives.WriteInt32LittleEndian(b, v);
                foreach (byte x in b) _bytes.Add(x);
            }
        }

        public void Int8(int value) => _bytes.Add((byte)checked((sbyte)value));

        public byte[] ToArray() => _bytes.ToArray();
    }
}
