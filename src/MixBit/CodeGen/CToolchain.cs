using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MixBit.CodeGen;

/// <summary>An ARM core the generated code is built for, and the QEMU board that runs it.</summary>
public sealed record ArmCore(string Name, string Cpu, string QemuBoard)
{
    public static IReadOnlyList<ArmCore> All { get; } =
    [
        new("m0plus", "cortex-m0plus", "mps2-an386"),
        new("m4", "cortex-m4", "mps2-an386"),
        new("m7", "cortex-m7", "mps2-an500"),
        new("m55", "cortex-m55", "mps3-an547"),
    ];

    public static ArmCore Find(string name) => All.FirstOrDefault(c => c.Name == name)
        ?? throw new MixBitException($"Unknown core '{name}'; use one of {string.Join(", ", All.Select(c => c.Name))}.");

    /// <summary>The core of a board preset's core description ("Cortex-M0+", "Cortex-M4", ...).</summary>
    public static ArmCore OfPreset(string core) => core.Replace(" ", "").ToLowerInvariant() switch
    {
        "cortex-m0+" or "cortex-m0plus" => Find("m0plus"),
        "cortex-m4" => Find("m4"),
        "cortex-m7" => Find("m7"),
        "cortex-m55" => Find("m55"),
        _ => throw new MixBitException($"No ARM build for the core '{core}'."),
    };
}

/// <summary>Sizes of an ELF from `arm-none-eabi-size` (Berkeley format).</summary>
public sealed record ElfSize(long Text, long Data, long Bss)
{
    public long FlashBytes => Text + Data;
    public long RamBytes => Data + Bss;
}

/// <summary>Result of running the harness in QEMU: images bit-exact, stack of mixbit_run, instruction counts.</summary>
public sealed record QemuRun(int BitExact, int Images, long StackBytes, long[] OpInstructions, string Output);

/// <summary>Runs make, gcc, arm-none-eabi-size and QEMU on a generated folder; every failure is a MixBitException with the tool's output.</summary>
public static class CToolchain
{
    public const string InstallHint = "install them with scripts/runtime-install.sh (apt: gcc make libc6-dev gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)";

    public static string Run(string program, IEnumerable<string> args, string workingDirectory, int timeoutSeconds = 900)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new MixBitException($"Cannot run '{program}' ({e.Message}); {InstallHint}."); }
        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000))
            {
                p.Kill(true);
                throw new MixBitException($"'{program} {string.Join(' ', args)}' did not finish in {timeoutSeconds} s.");
            }
            string output = stdout.Result + stderr.Result;
            if (p.ExitCode != 0) throw new CToolException(program, p.ExitCode, output);
            return output;
        }
    }

    public static ElfSize Size(string elf, string workingDirectory)
    {
        var lines = Run("arm-none-eabi-size", [elf], workingDirectory).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var f = lines[1].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return new ElfSize(long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture));
    }

    /// <summary>Address of a global symbol from arm-none-eabi-nm.</summary>
    public static string SymbolAddress(string elf, string symbol, string workingDirectory)
    {
        foreach (var line in Run("arm-none-eabi-nm", [elf], workingDirectory).Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3 && f[2] == symbol) return "0x" + f[0];
        }
        throw new MixBitException($"No symbol {symbol} in {elf}.");
    }

    /// <summary>Builds (if needed) the instruction-counting QEMU plugin from its embedded source into <paramref name="directory"/>.</summary>
    public static string Plugin(string directory)
    {
        Directory.CreateDirectory(directory);
        string src = Path.Combine(directory, "mb_count_plugin.c"), so = Path.Combine(directory, "mb_count_plugin.so");
        if (!File.Exists(so))
        {
            File.WriteAllText(src, Embedded.Text("tools/mb_count_plugin.c"));
            Run("gcc", ["-shared", "-fPIC", "-O2", "-std=c99", "-o", so, src], directory);
        }
        return so;
    }

    /// <summary>Runs the harness ELF on the core's QEMU board with the counting plugin; parses images, stack and per-op instructions.</summary>
    public static QemuRun RunHarness(string folder, ArmCore core, string elf, string plugin, int ops, int timeoutSeconds = 600)
    {
        string marker = SymbolAddress(elf, "mixbit_marker", folder);
        string counts = Path.Combine(folder, "build", core.Name, "counts.txt");
        string output;
        int exit = 0;
        try
        {
            output = Run("timeout", [timeoutSeconds.ToString(CultureInfo.InvariantCulture), "qemu-system-arm", "-M", core.QemuBoard, "-nographic", "-monitor", "none", "-serial", "none",
                "-semihosting-config", "enable=on,target=native", "-plugin", $"{plugin},marker={marker}", "-d", "plugin", "-D", counts, "-kernel", elf], folder, timeoutSeconds + 30);
        }
        catch (CToolException e) { output = e.Output; exit = e.ExitCode; }
        var m = Regex.Match(output, @"bitexact (\d+) of (\d+)");
        if (!m.Success) throw new MixBitException($"The QEMU run on {core.QemuBoard} ({core.Cpu}) did not finish (exit code {exit}):\n{Tail(output)}");
        var stack = Regex.Match(output, @"stack (\d+)");
        var marks = File.Exists(counts)
            ? Regex.Matches(File.ReadAllText(counts), @"^mark (\d+) (\d+) (\d+)$", RegexOptions.Multiline).Select(x => long.Parse(x.Groups[3].Value, CultureInfo.InvariantCulture)).ToArray()
            : [];
        // The stores to mixbit_marker: the startup's zeroing of .bss, the harness's start store, then one per op of the
        // first inference (later inferences do not mark): the last `ops` deltas are the ops.
        if (marks.Length < ops + 1) throw new MixBitException($"The QEMU run on {core.QemuBoard} recorded {marks.Length} marks for {ops} ops.");
        var perOp = marks[^ops..];
        return new QemuRun(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            stack.Success ? long.Parse(stack.Groups[1].Value, CultureInfo.InvariantCulture) : 0, perOp, output);
    }

    public static string Tail(string s, int lines = 30)
    {
        var l = s.Split('\n');
        return string.Join('\n', l.Skip(Math.Max(0, l.Length - lines)));
    }
}

public sealed class CToolException(string program, int exitCode, string output)
    : MixBitException($"'{program}' failed with exit code {exitCode}:\n{CToolchain.Tail(output)}")
{
    public int ExitCode { get; } = exitCode;
    public string Output { get; } = output;
}

/// <summary>The runtime sources, board files and templates embedded in the assembly (see MixBit.csproj).</summary>
public static class Embedded
{
    private static readonly System.Reflection.Assembly Assembly = typeof(Embedded).Assembly;

    public static IEnumerable<string> Names(string prefix) => Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    public static string Text(string name)
    {
        using var s = Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"Missing embedded resource {name}.");
        using var r = new StreamReader(s, Encoding.UTF8);
        return r.ReadToEnd();
    }
}
