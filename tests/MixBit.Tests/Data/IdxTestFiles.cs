using System.Buffers.Binary;
using System.IO.Compression;

namespace MixBit.Tests.Data;

/// <summary>Writes small IDX files (raw or gzipped) into a temporary folder that is deleted on dispose.</summary>
internal sealed class IdxTestFiles : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "mixbit-idx-" + Guid.NewGuid().ToString("N"));

    public IdxTestFiles() => System.IO.Directory.CreateDirectory(Directory);

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
