using MixBit.Data;

namespace MixBit.Tests.Data;

public class IdxReaderTests
{
    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 37 + 11)).ToArray();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_raw_or_gzipped(bool gzip)
    {
        using var files = new IdxTestFiles();
        var pixels = Pattern(5 * 3 * 4);
        var images = IdxReader.ReadImages(files.WriteImages("img", 5, 3, 4, pixels, gzip));
        Assert.Equal((5, 3, 4), (images.Count, images.Height, images.Width));
        Assert.Equal(pixels, images.Pixels);

        byte[] labels = [3, 1, 4, 1, 5];
        Assert.Equal(labels, IdxReader.ReadLabels(files.WriteLabels("lbl", labels, gzip)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_payload_names_the_file_and_the_sizes(bool gzip)
    {
        using var files = new IdxTestFiles();
        var raw = IdxTestFiles.Encode(0x00000803, [4, 5, 5], Pattern(100));
        var cut = raw[..(raw.Length - 7)];
        string path = files.Write("cut", gzip ? IdxTestFiles.Gzip(cut) : cut);
        var e = Assert.Throws<MixBitException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("4x5x5", e.Message);
    }

    [Fact]
    public void Truncated_gzip_stream_is_reported()
    {
        using var files = new IdxTestFiles();
        var gz = IdxTestFiles.Gzip(IdxTestFiles.Encode(0x00000803, [50, 8, 8], Pattern(3200)));
        string path = files.Write("cut.gz", gz[..(gz.Length / 2)]);
        var e = Assert.Throws<MixBitException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Truncated_header_and_empty_file_are_reported()
    {
        using var files = new IdxTestFiles();
        string header = files.Write("header", IdxTestFiles.Encode(0x00000803, [4, 5, 5], [])[..9]);
        Assert.Contains("header", Assert.Throws<MixBitException>(() => IdxReader.ReadImages(header)).Message);
        string empty = files.Write("empty", []);
        Assert.Contains(empty, Assert.Throws<MixBitException>(() => IdxReader.ReadLabels(empty)).Message);
    }

    [Fact]
    public void Wrong_magic_is_reported_with_both_values()
    {
        using var files = new IdxTestFiles();
        string labels = files.WriteLabels("labels", [1, 2, 3], gzip: false);
        var e = Assert.Throws<MixBitException>(() => IdxReader.ReadImages(labels));
        Assert.Contains(labels, e.Message);
        Assert.Contains("0x00000801", e.Message);
        Assert.Contains("0x00000803", e.Message);

        string floats = files.Write("floats", IdxTestFiles.Encode(0x00000D03, [1, 1, 1], [0, 0, 0, 0]));
        Assert.Contains("magic", Assert.Throws<MixBitException>(() => IdxReader.ReadImages(floats)).Message);
    }

    [Fact]
    public void Trailing_bytes_after_the_declared_payload_are_rejected()
    {
        using var files = new IdxTestFiles();
        string path = files.Write("long", IdxTestFiles.Encode(0x00000801, [3], [1, 2, 3, 4]));
        Assert.Contains("more data", Assert.Throws<MixBitException>(() => IdxReader.ReadLabels(path)).Message);
    }

    [Fact]
    public void Missing_file_is_a_user_error()
    {
        var e = Assert.Throws<MixBitException>(() => IdxReader.ReadLabels("/nonexistent/labels.idx"));
        Assert.Contains("/nonexistent/labels.idx", e.Message);
    }
}
