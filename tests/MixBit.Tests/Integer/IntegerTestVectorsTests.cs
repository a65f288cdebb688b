using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using MixBit.Integer;

namespace MixBit.Tests.Integer;

/// <summary>
/// The golden vectors for the C runtime, read back from the written headers as a C test would, satisfy the contract
/// (docs/INTEGER.md) as computed here by a separate, deliberately plain interpreter of the packed bytes and the
/// parameter blocks (DeviceParameters' layout): so the vectors, the packing, the parameter layout and the engine agree.
/// </summary>
public sealed partial class IntegerTestVectorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mixbit-vectors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Written_vectors_follow_the_contract()
    {
        var files = IntegerTestVectors.Write(_folder, seed: 5);
        Assert.Equal(files.Select(Path.GetFileName), File.ReadAllLines(Path.Combine(_folder, "cases.txt")));
        Assert.Equal(1 + 81 + 18, files.Count);
        Assert.Equal(IntegerTestVectors.Write(_folder + "-again", seed: 5).Select(File.ReadAllText), files.Select(File.ReadAllText));
        Directory.Delete(_folder + "-again", recursive: true);

        foreach (Match row in RequantizeRow().Matches(File.ReadAllText(files[0])))
        {
            long acc = long.Parse(row.Groups[1].Value, CultureInfo.InvariantCulture), m0 = long.Parse(row.Groups[2].Value, CultureInfo.InvariantCulture);
            int n = int.Parse(row.Groups[3].Value, CultureInfo.InvariantCulture);
            var exact = BigInteger.Divide(acc * m0 + (1L << (n - 1)) - (acc * m0 + (1L << (n - 1)) < 0 ? (1L << n) - 1 : 0), BigInteger.One << n);
            Assert.Equal(exact, BigInteger.Parse(row.Groups[4].Value, CultureInfo.InvariantCulture));
        }

        var kinds = new HashSet<string>();
        foreach (var file in files.Skip(1))
        {
            var c = new Header(File.ReadAllText(file));
            kinds.Add(c.Text("OP"));
            Assert.Equal(c.Bytes("mb_expected"), Pack(Reference(c), c.Int("OUT_BITS"), c.Int("OUT_SIGNED") == 1));
        }
        Assert.Equal(["Add", "AvgPool", "Conv2d", "DepthwiseConv2d", "GlobalAvgPool", "Linear", "MaxPool"], kinds.Order());
    }

    /// <summary>The contract's formulas on the header's packed values and parameter bytes.</summary>
    private static int[] Reference(Header c)
    {
        string op = c.Text("OP");
        int[] x = Unpack(c.Bytes("mb_input0"), c.Int("IN0_H") * c.Int("IN0_W") * c.Int("IN0_C"), c.Int("IN0_BITS"), c.Int("IN0_SIGNED") == 1);
        var p = c.Bytes("mb_params");
        int P(int i) => BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(4 * i));
        long Requantize(long acc, long m0, int n) => (acc * m0 + (1L << (n - 1))) >> n;
        int oh = c.Int("OUT_H"), ow = c.Int("OUT_W"), oc = c.Int("OUT_C"), ih = c.Int("IN0_H"), iw = c.Int("IN0_W"), ic = c.Int("IN0_C");
        var y = new int[oh * ow * oc];
        if (op == "Add")
        {
            int[] b = Unpack(c.Bytes("mb_input1"), y.Length, c.Int("IN1_BITS"), c.Int("IN1_SIGNED") == 1);
            int n = (sbyte)p[28];
            for (int i = 0; i < y.Length; i++)
                y[i] = (int)Math.Clamp(P(4) + ((long)(x[i] - P(2)) * P(0) + (long)(b[i] - P(3)) * P(1) + (1L << (n - 1)) >> n), P(5), P(6));
            return y;
        }
        if (op == "Linear")
        {
            int[] w = Unpack(c.Bytes("mb_weights"), oc * x.Length, c.Int("WEIGHT_BITS"), true);
            for (int o = 0; o < oc; o++)
            {
                long acc = P(4 + o);
                for (int i = 0; i < x.Length; i++) acc += w[o * x.Length + i] * (x[i] - P(0));
                y[o] = (int)Math.Clamp(Requantize(acc, P(4 + oc + o), (sbyte)p[16 + 8 * oc + o]) + P(1), P(2), P(3));
            }
            return y;
        }
        int kh = c.Int("KERNEL_H"), kw = c.Int("KERNEL_W"), sh = c.Int("STRIDE_H"), sw = c.Int("STRIDE_W");
        int pt = c.Int("PAD_TOP"), pl = c.Int("PAD_LEFT"), dh = c.Int("DILATION_H"), dw = c.Int("DILATION_W");
        bool depthwise = op == "DepthwiseConv2d";
        int groups = op == "Conv2d" ? c.Int("GROUPS") : 1, cpg = ic / groups, opg = oc / groups;
        int[] weights = op is "Conv2d" or "DepthwiseConv2d" ? Unpack(c.Bytes("mb_weights"), depthwise ? kh * kw * oc : oc * kh * kw * cpg, c.Int("WEIGHT_BITS"), true) : [];
        for (int yy = 0; yy < oh; yy++)
            for (int xx = 0; xx < ow; xx++)
                for (int o = 0; o < oc; o++)
                {
                    long acc = 0;
                    int best = int.MinValue, taps = 0;
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int iy = yy * sh - pt + ky * dh, ix = xx * sw - pl + kx * dw;
                            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                            taps++;
                            if (op == "Conv2d")
                                for (int i = 0; i < cpg; i++)
                                    acc += weights[((o * kh + ky) * kw + kx) * cpg + i] * (x[(iy * iw + ix) * ic + o / opg * cpg + i] - P(0));
                            else if (depthwise) acc += weights[(ky * kw + kx) * oc + o] * (x[(iy * iw + ix) * ic + o] - P(0));
                            else if (op == "MaxPool") best = Math.Max(best, x[(iy * iw + ix) * ic + o]);
                            else acc += x[(iy * iw + ix) * ic + o] - P(1);
                        }
                    int at = (yy * ow + xx) * oc + o;
                    y[at] = op switch
                    {
                        "MaxPool" => best,
                        "AvgPool" or "GlobalAvgPool" => (int)Math.Clamp(Requantize(acc, P(0), (sbyte)p[20]) + P(2), P(3), P(4)),
                        _ => (int)Math.Clamp(Requantize(acc + P(4 + o), P(4 + oc + o), (sbyte)p[16 + 8 * oc + o]) + P(1), P(2), P(3)),
                    };
                }
        return y;
    }

    private static int[] Unpack(byte[] packed, int count, int bits, bool signed)
    {
        var v = new int[count];
        for (int k = 0; k < count; k++)
        {
            int raw = (packed[k * bits / 8] >> (k * bits % 8)) & ((1 << bits) - 1);
            v[k] = signed && raw >= 1 << (bits - 1) ? raw - (1 << bits) : raw;
        }
        return v;
    }

    private static byte[] Pack(int[] values, int bits, bool signed) => BitPacking.Pack(values, bits, signed);

    [GeneratedRegex(@"\{ (-?\d+), (\d+), (\d+), (-?\d+) \}")]
    private static partial Regex RequantizeRow();

    /// <summary>The #defines and byte arrays of a generated header.</summary>
    private sealed partial class Header(string text)
    {
        public string Text(string name) => Define().Matches(text).Single(m => m.Groups[1].Value == name).Groups[2].Value.Trim('"');

        public int Int(string name) => int.Parse(Text(name), CultureInfo.InvariantCulture);

        /// <summary>Array <paramref name="name"/> (e.g. mb_params), as long as its MB_..._BYTES define says (an empty array holds one 0).</summary>
        public byte[] Bytes(string name)
        {
            var m = Array().Matches(text).Single(a => a.Groups[1].Value == name);
            int count = Int(name.ToUpperInvariant()["MB_".Length..] + "_BYTES");
            return HexByte().Matches(m.Groups[2].Value).Select(h => Convert.ToByte(h.Value, 16)).Take(count).ToArray();
        }

        [GeneratedRegex(@"#define MB_(\w+) (.+)")]
        private static partial Regex Define();

        [GeneratedRegex(@"static const uint8_t (\w+)\[\d+\] = \{([^}]*)\}")]
        private static partial Regex Array();

        [GeneratedRegex(@"0x[0-9a-f]{2}")]
        private static partial Regex HexByte();
    }
}
