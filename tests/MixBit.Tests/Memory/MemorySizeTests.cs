using MixBit.Memory;

namespace MixBit.Tests.Memory;

public class MemorySizeTests
{
    [Theory]
    [InlineData("2MB", 2L * 1024 * 1024)]
    [InlineData("512kB", 512L * 1024)]
    [InlineData("512KiB", 512L * 1024)]
    [InlineData("512KB", 512L * 1024)]
    [InlineData("524288", 524288)]
    [InlineData("1.5MB", 1572864)]
    [InlineData("36 kB", 36864)]
    [InlineData("100B", 100)]
    [InlineData("1MiB", 1048576)]
    [InlineData("0.1kB", 102)]   // 102.4 B: fractions of a byte are dropped
    public void Parses_sizes_with_1024_byte_kilobytes(string text, long bytes) => Assert.Equal(bytes, MemorySize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("12XB")]
    [InlineData("-1")]
    [InlineData("1,5MB")]
    [InlineData("MB")]
    public void Rejects_bad_sizes_with_a_user_error(string text)
    {
        var e = Assert.Throws<MixBitException>(() => MemorySize.Parse(text, "--flash"));
        Assert.Contains("--flash", e.Message);
    }

    [Theory]
    [InlineData(524288, "512 kB")]
    [InlineData(2097152, "2 MB")]
    [InlineData(300, "300 B")]
    [InlineData(1605632, "1.53 MB")]
    public void Formats_sizes(long bytes, string text) => Assert.Equal(text, MemorySize.Format(bytes));

    [Fact]
    public void Board_presets_and_reserves()
    {
        var h7 = BoardPreset.Find("STM32H743");
        Assert.Equal(2 * 1024 * 1024, h7.FlashBytes);
        Assert.Equal(512 * 1024, h7.RamBytes);
        Assert.Equal("Cortex-M0+", BoardPreset.Find("stm32g071").Core);
        var e = Assert.Throws<MixBitException>(() => BoardPreset.Find("esp32"));
        Assert.Contains("nrf52840", e.Message);

        var budget = MemoryBudget.For(h7, flashReserveBytes: 100 * 1024, ramReserveBytes: 16 * 1024);
        Assert.Equal(2 * 1024 * 1024 - 100 * 1024, budget.UsableFlashBytes);
        Assert.Equal(496 * 1024, budget.UsableRamBytes);
        Assert.Throws<MixBitException>(() => MemoryBudget.For(h7, ramReserveBytes: 512 * 1024));
    }
}
