using System.Globalization;
using System.Text;
using MixBit.Memory;

namespace MixBit.Integer;

/// <summary>
/// Golden data for the C runtime's tests, computed by the integer engine (the reference): one C header per case with the
/// op's geometry and bits as #defines, and as byte arrays its packed input(s), packed weights, its integer parameters
/// exactly as the device stores them (<see cref="DeviceParameters"/>) and the packed expected output; plus
/// requantize.h with (acc, M0, n, expected) rows. Cases cover every op kind and, for conv / depthwise / linear, every
/// (input, weight, output) bit triple, signed and unsigned grids, an input zero point, padding, strides, groups and
/// dilation. Deterministic for a seed. cases.txt lists the headers.
/// </summary>
public static class IntegerTestVectors
{
    public static IReadOnlyList<string> Write(string folder, int seed = 1)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(seed);
        var files = new List<string> { WriteRequantization(folder, rng) };
        int index = 0;
        int[] bits = [2, 4, 8];
        foreach (int a in bits)
            foreach (int w in bits)
                foreach (int o in bits)
                    foreach (var kind in new[] { DeployedOpKind.Conv2d, DeployedOpKind.DepthwiseConv2d, DeployedOpKind.Linear })
                        files.Add(WriteCase(folder, index++, RandomLayer(rng, kind, a, w, o)));
        foreach (int a in bits)
            foreach (int o in bits)
            {
                files.Add(WriteCase(folder, index++, RandomAdd(rng, a, o)));
                files.Add(WriteCase(folder, index++, RandomPool(rng, a, o, rng.Next(3) switch { 0 => DeployedOpKind.AvgPool, 1 => DeployedOpKind.GlobalAvgPool, _ => DeployedOpKind.MaxPool })));
            }
        File.WriteAllLines(Path.Combine(folder, "cases.txt"), files.Select(Path.GetFileName)!);
        return files;
    }

    /// <summary>A one-op model: its tensors, the op and random input codes.</summary>
    public sealed record Case(string Description, QuantizedModel Model, Dictionary<int, int[]> Inputs);

    private static string WriteRequantization(string folder, Random rng)
    {
        var rows = new List<string>();
        for (int i = 0; i < 256; i++)
        {
            var m = FixedPointMultiplier.FromReal(Math.Pow(2, -30 + rng.NextDouble() * 40));
            long limit = (long)Math.Min(int.MaxValue, (int.MaxValue - 1) / Math.Max(m.Real, 1e-300));
            int acc = (int)(rng.NextInt64(-limit, limit + 1) >> rng.Next(0, 31));
            rows.Add(FormattableString.Invariant($"    {{ {acc}, {m.M0}, {m.Shift}, {m.Requantize(acc)} }},"));
        }
        string path = Path.Combine(folder, "requantize.h");
        File.WriteAllText(path, Header("requantize(acc, M0, n) = (int32)(((int64)acc * M0 + 2^(n-1)) >> n): { acc, M0, n, expected }")
            + "static const int32_t mb_requantize_cases[][4] = {\n" + string.Join("\n", rows) + "\n};\n");
        return path;
    }

    private static string WriteCase(string folder, int index, Case c)
    {
        var engine = new IntegerEngine(c.Model) { UseSimd = false };
        var op = c.Model.Ops[0];
        var expected = engine.RunOp(0, c.Inputs);
        var output = c.Model.Tensors[op.Output];
        var text = new StringBuilder(Header(c.Description));
        void Define(string name, object value) => text.Append(CultureInfo.InvariantCulture, $"#define MB_{name} {value}\n");
        Define("OP", $"\"{op.Kind}\"");
        for (int k = 0; k < op.Inputs.Count; k++)
        {
            var t = c.Model.Tensors[op.Inputs[k]];
            Define($"IN{k}_H", t.Height); Define($"IN{k}_W", t.Width); Define($"IN{k}_C", t.Channels);
            Define($"IN{k}_BITS", t.Bits); Define($"IN{k}_SIGNED", t.Signed ? 1 : 0);
        }
        Define("OUT_H", output.Height); Define("OUT_W", output.Width); Define("OUT_C", output.Channels);
        Define("OUT_BITS", output.Bits); Define("OUT_SIGNED", output.Signed ? 1 : 0);
        KernelWindow? window = op switch { QuantizedLayer l => l.Window, QuantizedAveragePool p => p.Window, QuantizedMaxPool m => m.Window, _ => null };
        if (window is not null)
        {
            Define("KERNEL_H", window.KernelH); Define("KERNEL_W", window.KernelW); Define("STRIDE_H", window.StrideH); Define("STRIDE_W", window.StrideW);
            Define("PAD_TOP", window.PadTop); Define("PAD_LEFT", window.PadLeft); Define("PAD_BOTTOM", window.PadBottom); Define("PAD_RIGHT", window.PadRight);
            Define("DILATION_H", window.DilationH); Define("DILATION_W", window.DilationW);
        }
        if (op is QuantizedLayer layer) { Define("GROUPS", layer.Groups); Define("WEIGHT_BITS", layer.WeightBits); }
        for (int k = 0; k < op.Inputs.Count; k++)
        {
            var t = c.Model.Tensors[op.Inputs[k]];
            Bytes(text, $"mb_input{k}", BitPacking.Pack(c.Inputs[t.Id], t.Bits, t.Signed));
        }
        Bytes(text, "mb_weights", op.StoredWeights);
        Bytes(text, "mb_params", DeviceParameters.Of(op));
        Bytes(text, "mb_expected", BitPacking.Pack(expected, output.Bits, output.Signed));
        string path = Path.Combine(folder, $"case_{index:D3}.h");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string Header(string description)
        => $"/* Generated by MixBit (IntegerTestVectors) from the C# integer engine; do not edit.\n * {description}\n */\n#include <stdint.h>\n";

    private static void Bytes(StringBuilder text, string name, byte[] bytes)
    {
        text.Append(CultureInfo.InvariantCulture, $"static const uint8_t {name}[{Math.Max(1, bytes.Length)}] = {{");
        for (int i = 0; i < bytes.Length; i++) text.Append(i % 16 == 0 ? "\n    " : " ").Append(CultureInfo.InvariantCulture, $"0x{bytes[i]:x2},");
        text.Append(bytes.Length == 0 ? " 0 };\n" : "\n};\n");
        text.Append(CultureInfo.InvariantCulture, $"#define {name.ToUpperInvariant()}_BYTES {bytes.Length}\n");
    }

    private static QuantizedTensor Tensor(Random rng, int id, int h, int w, int c, int bits, bool? signed = null, bool zeroPoint = false)
    {
        bool s = signed ?? rng.Next(2) == 0;
        int zp = zeroPoint && bits == 8 && !s ? rng.Next(0, 256) : 0;
        return new QuantizedTensor(id, $"t{id}", h, w, c, bits, s, 1.0, zp);
    }

    private static int[] Codes(Random rng, QuantizedTensor t) => Enumerable.Range(0, t.Elements).Select(_ => rng.Next(t.Min, t.Max + 1)).ToArray();

    /// <summary>A multiplier that maps the accumulator's typical range onto the output grid, so outputs are not all clamped.</summary>
    private static FixedPointMultiplier Multiplier(Random rng, double accumulatorRange, QuantizedTensor output)
        => FixedPointMultiplier.FromReal(Math.Max(1e-9, (output.Max - output.Min) / Math.Max(1, accumulatorRange) * (0.5 + rng.NextDouble())));

    public static Case RandomLayer(Random rng, DeployedOpKind kind, int inBits, int weightBits, int outBits)
    {
        int h = rng.Next(1, 7), w = rng.Next(1, 7), c = rng.Next(1, 10), groups = 1;
        KernelWindow? window = null;
        int outC = rng.Next(1, 12);
        switch (kind)
        {
            case DeployedOpKind.Linear:
                break;
            case DeployedOpKind.DepthwiseConv2d:
                outC = c;
                window = RandomWindow(rng, h, w);
                break;
            default:
                if (rng.Next(3) == 0 && c % 2 == 0) { groups = 2; outC = 2 * rng.Next(1, 6); }
                window = RandomWindow(rng, h, w);
                break;
        }
        var input = Tensor(rng, 0, h, w, c, inBits, zeroPoint: rng.Next(3) == 0);
        var (oh, ow) = window is null ? (1, 1) : (Out(h, window.KernelH, window.StrideH, window.PadTop + window.PadBottom, window.DilationH), Out(w, window.KernelW, window.StrideW, window.PadLeft + window.PadRight, window.DilationW));
        var output = Tensor(rng, 1, oh, ow, outC, outBits);
        int inPerGroup = kind == DeployedOpKind.DepthwiseConv2d ? 1 : kind == DeployedOpKind.Linear ? input.Elements : c / groups;
        int perChannel = inPerGroup * (window?.Taps ?? 1);
        int wMax = (1 << (weightBits - 1)) - 1;
        var weights = Enumerable.Range(0, outC * perChannel).Select(_ => rng.Next(-wMax, wMax + 1)).ToArray();
        double accumulatorRange = Math.Sqrt(perChannel) * wMax * input.MaxAbsOffsetCode;
        var bias = Enumerable.Range(0, outC).Select(_ => (int)(accumulatorRange * (rng.NextDouble() - 0.5))).ToArray();
        var multipliers = Enumerable.Range(0, outC).Select(_ => Multiplier(rng, accumulatorRange, output)).ToArray();
        int max = output.Max - (rng.Next(4) == 0 ? rng.Next(0, (output.Max - output.Min) / 2) : 0); // a ReLU6-like clamp sometimes
        var layer = new QuantizedLayer("op", kind, 0, 1, window, groups, outC, inPerGroup, weightBits, BitPacking.Pack(weights, weightBits, signed: true),
            bias, multipliers, input.ZeroPoint, output.ZeroPoint, output.Min, max);
        string where = window is null ? "" : $" {window.KernelH}x{window.KernelW} stride {window.StrideH} pad {window.PadTop} dilation {window.DilationH} groups {groups}";
        return new Case($"{kind}{where}: in {h}x{w}x{c} {Grid(input)}, weights int{weightBits}, out {oh}x{ow}x{outC} {Grid(output)}",
            Model(layer, input, output), new() { [0] = Codes(rng, input) });
    }

    public static Case RandomAdd(Random rng, int inBits, int outBits)
    {
        int h = rng.Next(1, 6), w = rng.Next(1, 6), c = rng.Next(1, 10);
        var a = Tensor(rng, 0, h, w, c, inBits, zeroPoint: rng.Next(3) == 0);
        var b = Tensor(rng, 1, h, w, c, Math.Min(inBits, 8));
        var output = Tensor(rng, 2, h, w, c, outBits);
        double range = (double)(output.Max - output.Min) / Math.Max(a.MaxAbsOffsetCode + b.MaxAbsOffsetCode, 1);
        var (m0A, m0B, shift) = FixedPointMultiplier.SharedShift(range * (0.5 + rng.NextDouble()), range * (0.5 + rng.NextDouble()));
        var add = new QuantizedAdd("op", 0, 1, 2, m0A, m0B, shift, a.ZeroPoint, b.ZeroPoint, output.ZeroPoint, output.Min, output.Max);
        return new Case($"Add: {h}x{w}x{c} {Grid(a)} + {Grid(b)} -> {Grid(output)}", Model(add, a, b, output), new() { [0] = Codes(rng, a), [1] = Codes(rng, b) });
    }

    public static Case RandomPool(Random rng, int inBits, int outBits, DeployedOpKind kind)
    {
        int h = rng.Next(2, 7), w = rng.Next(2, 7), c = rng.Next(1, 10);
        var input = Tensor(rng, 0, h, w, c, inBits, zeroPoint: rng.Next(3) == 0);
        var window = kind == DeployedOpKind.GlobalAvgPool ? KernelWindow.Whole(h, w)
            : rng.Next(2) == 0 ? new KernelWindow(2, 2, 2, 2, 0, 0, 0, 0) : new KernelWindow(3, 3, 1, 1, 1, 1, 1, 1);
        int oh = Out(h, window.KernelH, window.StrideH, window.PadTop + window.PadBottom, 1), ow = Out(w, window.KernelW, window.StrideW, window.PadLeft + window.PadRight, 1);
        if (kind == DeployedOpKind.MaxPool)
        {
            var same = input with { Id = 1, Name = "t1", Height = oh, Width = ow };
            return new Case($"MaxPool {window.KernelH}x{window.KernelW} stride {window.StrideH} pad {window.PadTop}: {h}x{w}x{c} {Grid(input)}",
                Model(new QuantizedMaxPool("op", 0, 1, window), input, same), new() { [0] = Codes(rng, input) });
        }
        var output = Tensor(rng, 1, oh, ow, c, outBits, input.Signed);
        var pool = new QuantizedAveragePool("op", kind, 0, 1, window, Multiplier(rng, window.Taps * input.MaxAbsOffsetCode / 2.0, output),
            input.ZeroPoint, output.ZeroPoint, output.Min, output.Max);
        return new Case($"{kind} {window.KernelH}x{window.KernelW} stride {window.StrideH} pad {window.PadTop}: {h}x{w}x{c} {Grid(input)} -> {Grid(output)}",
            Model(pool, input, output), new() { [0] = Codes(rng, input) });
    }

    private static KernelWindow RandomWindow(Random rng, int h, int w)
    {
        int k = Math.Min(rng.Next(2) == 0 ? 1 : 3, Math.Min(h, w) + 2), stride = rng.Next(1, 3), pad = k / 2, dilation = k == 3 && rng.Next(4) == 0 ? 2 : 1;
        if (dilation == 2) pad = 2;
        return new KernelWindow(k, k, stride, stride, pad, pad, pad, pad, dilation, dilation);
    }

    private static int Out(int size, int kernel, int stride, int pads, int dilation) => (size + pads - dilation * (kernel - 1) - 1) / stride + 1;

    private static string Grid(QuantizedTensor t) => $"{(t.Signed ? "int" : "uint")}{t.Bits}{(t.ZeroPoint != 0 ? $" zp {t.ZeroPoint}" : "")}";

    private static QuantizedModel Model(QuantizedOp op, params QuantizedTensor[] tensors)
        => new("test_vector", tensors, [op], op.Output, new Dictionary<string, string>());
}
