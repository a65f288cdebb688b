using System.Buffers.Binary;
using MixBit.Integer;
using MixBit.Quantization;

namespace MixBit.Tests.Integer;

public sealed class QuantizedModelFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mixbit-mbq-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (QuantizedModel Model, string Path, IntegerCase Case) Saved()
    {
        var rng = new Random(21);
        var graph = IntegerTestModels.Random(rng, 0);
        var c = IntegerTestModels.Calibrated(graph, IntegerTestModels.RandomPolicy(graph, rng), new QuantizationOptions { BatchNorm = BatchNormMode.Keep }, 21);
        string path = Path.Combine(_folder, "m.mbq");
        QuantizedModelFile.Save(c.Quantized, path);
        return (c.Quantized, path, c);
    }

    [Fact]
    public void Round_trip_keeps_every_number_and_the_outputs()
    {
        var (model, path, c) = Saved();
        var loaded = QuantizedModelFile.Load(path);
        Assert.Equal(model.FlashBytes, loaded.FlashBytes);
        Assert.Equal(model.Tensors, loaded.Tensors);
        for (int o = 0; o < model.Ops.Length; o++)
        {
            Assert.Equal(model.Ops[o].GetType(), loaded.Ops[o].GetType());
            Assert.Equal(DeviceParameters.Of(model.Ops[o]), DeviceParameters.Of(loaded.Ops[o]));
            Assert.Equal(model.Ops[o].StoredWeights, loaded.Ops[o].StoredWeights);
        }
        var pixels = ImagePixels.Nhwc(c.Images, 8);
        var a = new int[8 * model.Output.Elements];
        var b = new int[a.Length];
        new IntegerEngine(model).Run(pixels, 8, a);
        new IntegerEngine(loaded).Run(pixels, 8, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Corrupt_truncated_foreign_and_other_version_files_are_refused_with_what_is_wrong()
    {
        var (_, path, _) = Saved();
        byte[] good = File.ReadAllBytes(path);
        string Refusal(byte[] bytes)
        {
            File.WriteAllBytes(path, bytes);
            return Assert.Throws<MixBitException>(() => QuantizedModelFile.Load(path)).Message;
        }
        var flipped = (byte[])good.Clone();
        flipped[good.Length / 2] ^= 0x10;
        Assert.Contains("checksum", Refusal(flipped));
        Assert.Contains("truncated", Refusal(good[..(good.Length - 7)]));
        Assert.Contains("truncated", Refusal(good[..10]));
        var version = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(version.AsSpan(8), QuantizedModelFile.FormatVersion + 1);
        Assert.Contains($"format version {QuantizedModelFile.FormatVersion + 1}", Refusal(version));
        Assert.Contains("not a MixBit integer model", Refusal("not a model at all"u8.ToArray()));
        Assert.Contains("does not exist", Assert.Throws<MixBitException>(() => QuantizedModelFile.Load(Path.Combine(_folder, "missing.mbq"))).Message);
    }
}
