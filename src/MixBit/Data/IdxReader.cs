using System.Buffers.Binary;
using System.IO.Compression;

namespace MixBit.Data;

/// <summary>Images of an IDX file: <see cref="Count"/> x <see cref="Height"/> x <see cref="Width"/> bytes, row-major.</summary>
public sealed record IdxImages(int Count, int Height, int Width, byte[] Pixels);

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST format), gzipped (detected by the magic 1f 8b) or raw. Header:
/// big-endian u32 magic 0x000008NN (0x08 = unsigned bytes, NN = number of dimensions), then NN big-endian u32
/// sizes, then exactly prod(sizes) bytes. Images are 0x00000803 (N x H x W), labels 0x00000801 (N).
/// </summary>
public static class IdxReader
{
    public const uint ImagesMagic = 0x00000803;
    public const uint LabelsMagic = 0x00000801;

    public static IdxImages ReadImages(string path)
    {
        var (dims, data) = Read(path, ImagesMagic);
        if (dims[1] == 0 || dims[2] == 0)
            throw new MixBitException($"IDX file {path} declares empty {dims[1]}x{dims[2]} images: use a valid image file.");
        return new IdxImages(dims[0], dims[1], dims[2], data);
    }

    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic).Data;

    private static (int[] Dims, byte[] Data) Read(string path, uint expectedMagic)
    {
        if (!File.Exists(path)) throw new MixBitException($"IDX file {path} does not exist: check the path.");
        try
        {
            using var stream = Open(path);
            Span<byte> word = stackalloc byte[4];
            if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                throw Bad(path, "is too short to hold an IDX header");
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(word);
            if (magic != expectedMagic)
                throw Bad(path, $"has magic 0x{magic:X8}, expected 0x{expectedMagic:X8} ({Describe(expectedMagic)})");

            int rank = (int)(magic & 0xFF);
            var dims = new int[rank];
            long payload = 1;
            for (int i = 0; i < rank; i++)
            {
                if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                    throw Bad(path, $"is truncated inside its header (dimension {i + 1} of {rank} missing)");
                uint d = BinaryPrimitives.ReadUInt32BigEndian(word);
                if (d > int.MaxValue) throw Bad(path, $"declares dimension {i + 1} as {d}, which is not a valid size");
                dims[i] = (int)d;
                payload *= d;
                if (payload > Array.MaxLength) throw Bad(path, $"declares {string.Join("x", dims[..(i + 1)])}+ bytes, more than one array can hold");
            }

            var (data, read) = ReadPayload(stream, (int)payload);
            string shape = string.Join("x", dims);
            if (read < data.Length)
                throw Bad(path, $"is truncated: its header declares {shape} = {payload:N0} bytes of data, only {read:N0} are present");
            if (stream.ReadByte() != -1)
                throw Bad(path, $"has more data than its header declares ({shape} = {payload:N0} bytes)");
            return (dims, data);
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, $"is not a readable gzip stream ({e.Message})");
        }
        catch (IOException e) when (e is not EndOfStreamException)
        {
            throw new MixBitException($"IDX file {path} could not be read ({e.Message}): check the file and its permissions.");
        }
    }

    /// <summary>
    /// Reads up to <paramref name="payload"/> bytes into a buffer that grows as data arrives, so a header that declares
    /// gigabytes on a short (or damaged) file is reported as truncated instead of allocating them first.
    /// </summary>
    private static (byte[] Data, int Read) ReadPayload(Stream stream, int payload)
    {
        var data = new byte[Math.Min(payload, 1 << 20)];
        int read = 0;
        while (true)
        {
            read += stream.ReadAtLeast(data.AsSpan(read), data.Length - read, throwOnEndOfStream: false);
            if (read < data.Length || data.Length == payload) return (data, read);
            Array.Resize(ref data, (int)Math.Min(payload, 2L * data.Length));
        }
    }

    /// <summary>Opens the file, decompressing on the fly when it starts with the gzip magic 1f 8b.</summary>
    private static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && head[0] == 0x1F && head[1] == 0x8B
            ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16)
            : file;
    }

    private static string Describe(uint magic) => magic == ImagesMagic ? "unsigned-byte images N x H x W" : "unsigned-byte labels N";

    private static MixBitException Bad(string path, string what) =>
        new($"IDX file {path} {what}: replace it with a complete, valid IDX file.");
}
