using System.Buffers.Binary;
using System.IO.Compression;

namespace MixBit.Tests.Data;

/// <summary>Writes small IDX files (raw or gzipped) into a temporary folder that is deleted on dispose.</summary>
internal sealed class IdxTestFiles : IDisposable
{
    public string Directory { get; }

    public IdxTestFiles(string? directory = null)
    {
        Directory = directory ?? Path.Combine(Path.GetTempPath(), "mixbit-idx-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>
    /// A learnable stand-in for Fashion-MNIST (gzipped train-* and t10k-* files, 28x28, 10 classes): class c is a stripe
    /// texture (5 periods x 2 orientations) plus noise.
    /// </summary>
    public static IdxTestFiles Stripes(int train, int test)
    {
        var files = new IdxTestFiles();
        files.WriteStripes(train, test);
        return files;
    }

    public void WriteStripes(int train, int test)
    {
        void Write(string prefix, int n, int seed)
        {
            var rng = new Random(seed);
            var pixels = new byte[n * 28 * 28];
            var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                int c = i % 10;
                labels[i] = (byte)c;
                int period = 2 + c % 5, phase = rng.Next(period);
                bool vertical = c >= 5;
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                    {
                        bool on = ((vertical ? x : y) + phase) % period == 0;
                        pixels[i * 784 + y * 28 + x] = (byte)((on ? 200 : 0) + rng.Next(0, 50));
                    }
            }
            WriteImages($"{prefix}-images-idx3-ubyte.gz", n, 28, 28, pixels, gzip: true);
            WriteLabels($"{prefix}-labels-idx1-ubyte.gz", labels, gzip: true);
        }
        Write("train", train, 1);
        Write("t10k", test, 2);
    }

    public static byte[] Encode(uint magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), (uint)dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(data);
        return output.ToArray();
    }

    public string Write(string name, byte[] content)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string WriteImages(string name, int count, int height, int width, byte[] pixels, bool gzip)
    {
        var raw = Encode(0x00000803, [count, height, width], pixels);
        return Write(name, gzip ? Gzip(raw) : raw);
    }

    public string WriteLabels(string name, byte[] labels, bool gzip)
    {
        var raw = Encode(0x00000801, [labels.Length], labels);
        return Write(name, gzip ? Gzip(raw) : raw);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
