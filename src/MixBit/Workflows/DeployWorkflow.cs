using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MixBit.CodeGen;
using MixBit.Data;
using MixBit.Integer;
using MixBit.Memory;
using MixBit.Reporting;

namespace MixBit.Workflows;

/// <summary>What `mixbit deploy` writes and checks.</summary>
/// <param name="Board">Board preset whose budget and core the check uses (default stm32g071).</param>
/// <param name="TestImages">Test images embedded in the harness (run in QEMU, checked bit-exact).</param>
/// <param name="Cores">Cores to build and run in QEMU (null: the board's core, then m4, m7, m55).</param>
/// <param name="HostImages">Test images the host build runs (null: the whole test set).</param>
public sealed record DeployOptions(string OutputDirectory, string Board = "stm32g071", bool Check = false, int TestImages = 20,
    string? DataDirectory = null, IReadOnlyList<string>? Cores = null, int? HostImages = null, int Jobs = 2);

/// <summary>One ARM build: FLASH = text + data of the library alone, RAM = data + bss + the measured stack of mixbit_run.</summary>
public sealed record DeployedBoard(BoardCheck Facts, int QemuBitExact, int QemuImages, long DataBytes, long BssBytes, long ParameterBytes);

/// <summary>What `mixbit deploy --check` found; <see cref="Facts"/> is c/check.json (docs/RUN.md).</summary>
public sealed record DeployCheck(CCheckFacts Facts, IReadOnlyList<DeployedBoard> Boards, float IntegerAccuracy, int HostBitExact,
    string Device, long BudgetFlashBytes, long BudgetRamBytes, bool Checked)
{
    /// <summary>The board preset's own core build fits its FLASH and RAM (the first build).</summary>
    public bool Fits => Boards.Count == 0 || Boards[0].Facts.Fits;
}

/// <summary>
/// `mixbit deploy`: writes the C library of an integer model (model.h/model.c, the runtime, README, harness, board files,
/// Makefile) into a folder atomically, and with Check builds it with host gcc (the whole test set against the integer
/// engine) and arm-none-eabi-gcc per core (size against the board budget; QEMU run bit-exact and instruction counts).
/// </summary>
public static class DeployWorkflow
{
    public const string CheckFile = "check.json";

    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    public static DeployCheck Run(QuantizedModel model, DeployOptions options, IProgress<string>? progress = null)
    {
        var board = BoardPreset.Find(options.Board);
        var writer = new CModelWriter(model);
        progress?.Report("loading the test images");
        var test = new DatasetSource(options.DataDirectory).Load().Test;
        if (test.Count == 0) throw new MixBitException("The data set has no labelled test images to embed in the harness.");
        int n = Math.Min(options.TestImages, test.Count);
        var engine = new IntegerEngine(model);
        var pixels = ImagePixels.Nhwc(test, n);
        var expected = new int[n * engine.OutputElements];
        engine.Run(pixels, n, expected);

        progress?.Report("writing the C library");
        string outDir = Path.GetFullPath(options.OutputDirectory);
        string parent = Path.GetDirectoryName(outDir)!;
        Directory.CreateDirectory(parent);
        string tmp = Path.Combine(parent, $".{Path.GetFileName(outDir)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            WriteFolder(tmp, model, writer, board, pixels, expected, n);
            var check = new DeployCheck(new CCheckFacts(0, 0, false, 0, []), [], 0, 0, board.Name, board.FlashBytes, board.RamBytes, false);
            if (options.Check)
            {
                check = RunCheck(tmp, model, writer, board, test, options, progress);
                File.WriteAllText(Path.Combine(tmp, CheckFile), JsonSerializer.Serialize(check.Facts, Json));
            }
            Replace(tmp, outDir);
            return check;
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        }
    }

    /// <summary>Moves the finished folder into place: the old one (if any) aside first, then deleted.</summary>
    private static void Replace(string tmp, string outDir)
    {
        string? old = null;
        if (Directory.Exists(outDir))
        {
            old = outDir + $".old-{Guid.NewGuid():N}";
            Directory.Move(outDir, old);
        }
        else if (File.Exists(outDir)) throw new MixBitException($"'{outDir}' is a file; give --out a folder.");
        Directory.Move(tmp, outDir);
        if (old is not null) Directory.Delete(old, true);
    }

    public static void WriteFolder(string dir, QuantizedModel model, CModelWriter writer, BoardPreset board, byte[] pixels, int[] expected, int images)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "model.h"), writer.Header());
        File.WriteAllText(Path.Combine(dir, "model.c"), writer.Source());
        foreach (var name in Embedded.Names("c/"))
        {
            string path = Path.Combine(dir, name["c/".Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Embedded.Text(name));
        }
        File.WriteAllText(Path.Combine(dir, "harness", "test_data.h"), TestData(model, pixels, expected, images));
        File.WriteAllText(Path.Combine(dir, "README.md"), Readme(model, writer, board));
    }

    private static string TestData(QuantizedModel model, byte[] pixels, int[] expected, int n)
    {
        int inSize = model.Input.Elements, outSize = model.Output.Elements;
        var sb = new StringBuilder("/* Generated by MixBit: test images and the integer engine's logits for them. */\n#include <stdint.h>\n\n");
        sb.Append($"#define MIXBIT_TEST_COUNT {n}\n\nstatic const uint8_t mixbit_test_images[{n}][{inSize}] = {{\n");
        for (int i = 0; i < n; i++) sb.Append("    {").Append(string.Join(",", pixels.Skip(i * inSize).Take(inSize))).Append("},\n");
        sb.Append($"}};\n\nstatic const int8_t mixbit_test_expected[{n}][{outSize}] = {{\n");
        for (int i = 0; i < n; i++) sb.Append("    {").Append(string.Join(",", expected.Skip(i * outSize).Take(outSize).Select(v => (int)(sbyte)v))).Append("},\n");
        return sb.Append("};\n").ToString();
    }

    private static DeployCheck RunCheck(string dir, QuantizedModel model, CModelWriter writer, BoardPreset board, ImageDataset test, DeployOptions options, IProgress<string>? progress)
    {
        string jobs = $"-j{Math.Max(1, options.Jobs)}";
        // Host: the whole test set through the C library, against the integer engine.
        progress?.Report("host build (gcc)");
        CToolchain.Run("make", [jobs, "host"], dir);
        int hostN = Math.Min(options.HostImages ?? test.Count, test.Count);
        var pixels = ImagePixels.Nhwc(test, hostN);
        string inFile = Path.Combine(dir, "build", "host", "images.bin"), outFile = Path.Combine(dir, "build", "host", "logits.bin");
        File.WriteAllBytes(inFile, pixels);
        progress?.Report($"host run on {hostN:N0} test images");
        CToolchain.Run(Path.Combine(dir, "build", "host", "host_eval"), [inFile, outFile], dir);
        var logits = File.ReadAllBytes(outFile);
        File.Delete(inFile);
        File.Delete(outFile);
        var engine = new IntegerEngine(model);
        int outSize = engine.OutputElements;
        var expected = new int[hostN * outSize];
        engine.Run(pixels, hostN, expected);
        if (logits.Length != hostN * outSize) throw new MixBitException($"The host build wrote {logits.Length} logit bytes for {hostN} images.");
        int hostExact = 0, hostCorrect = 0, engineCorrect = 0;
        for (int i = 0; i < hostN; i++)
        {
            bool same = true;
            int best = 0, bestE = 0;
            for (int k = 0; k < outSize; k++)
            {
                int c = model.Output.Signed ? (sbyte)logits[i * outSize + k] : logits[i * outSize + k];
                same &= c == expected[i * outSize + k];
                int cb = model.Output.Signed ? (sbyte)logits[i * outSize + best] : logits[i * outSize + best];
                if (c > cb) best = k;
                if (expected[i * outSize + k] > expected[i * outSize + bestE]) bestE = k;
            }
            hostExact += same ? 1 : 0;
            hostCorrect += best == test.Label(i) ? 1 : 0;
            engineCorrect += bestE == test.Label(i) ? 1 : 0;
        }

        var cores = (options.Cores ?? [ArmCore.OfPreset(board.Core).Name, "m4", "m7", "m55"]).Distinct().Select(ArmCore.Find).ToList();
        string plugin = CToolchain.Plugin(Path.Combine(dir, "build", "plugin"));
        var boards = new List<DeployedBoard>();
        foreach (var core in cores)
        {
            progress?.Report($"ARM build for {core.Cpu}");
            CToolchain.Run("make", [jobs, "lib", "harness", $"CORE={core.Name}"], dir);
            string build = core.Name;
            var size = CToolchain.Size(Path.Combine("build", build, "lib.elf"), dir);
            // Each bit triple links its own specialised kernel; when they do not fit the board's own core, the compact
            // kernels (one body per op, run-time bit-widths, bit-identical outputs) keep the code within the reserve (each
            // core is checked against the board's budget, the reference cores too).
            if (!(size.FlashBytes <= board.FlashBytes))
            {
                progress?.Report($"ARM build for {core.Cpu} with the compact kernels");
                CToolchain.Run("make", [jobs, "lib", "harness", $"CORE={core.Name}", "COMPACT=1"], dir);
                build = core.Name + "-compact";
                size = CToolchain.Size(Path.Combine("build", build, "lib.elf"), dir);
            }
            progress?.Report($"QEMU run on {core.QemuBoard} ({core.Cpu})");
            var run = CToolchain.RunHarness(dir, core, Path.Combine("build", build, "harness.elf"), plugin, model.Ops.Length);
            long flash = size.FlashBytes, ram = size.RamBytes + run.StackBytes;
            var layers = writer.Ops.Select((g, i) => new LayerInstructions(g.Name, g.Op, g.Macs, run.OpInstructions[i])).ToArray();
            var facts = new BoardCheck(core.QemuBoard, core.Cpu, flash, ram, flash - model.WeightBytes - model.ParameterBytes, model.WeightBytes,
                writer.Arena.SizeBytes, run.StackBytes, flash <= board.FlashBytes && ram <= board.RamBytes, run.OpInstructions.Sum(), layers,
                build.EndsWith("-compact") ? "compact" : "specialised");
            boards.Add(new DeployedBoard(facts, run.BitExact, run.Images, size.Data, size.Bss, model.ParameterBytes));
        }
        bool qemuExact = boards.Count > 0 && boards.All(b => b.QemuBitExact == b.QemuImages);
        var checkFacts = new CCheckFacts(hostN == 0 ? 0 : (double)hostCorrect / hostN, hostN, qemuExact, boards.Count == 0 ? 0 : boards[0].QemuImages,
            boards.Select(b => b.Facts).ToArray());
        return new DeployCheck(checkFacts, boards, hostN == 0 ? 0 : (float)engineCorrect / hostN, hostExact, board.Name, board.FlashBytes, board.RamBytes, true);
    }

    private static string Readme(QuantizedModel model, CModelWriter writer, BoardPreset board)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            # {model.Name}: MixBit C library

            Generated by `mixbit deploy` for {board}. Portable C99, no dynamic allocation, no floating point.

            ## Integrating

            Add `model.c` and `mixbit/src/*.c` to your firmware, with `-Imixbit/include -Imixbit/src -I.`; define
            `MIXBIT_USE_DSP` on cores with the DSP extension (Cortex-M4, M7, M33, M55) for the SMLAD kernels (the Makefile's
            flags show the rest). Link with `-ffunction-sections -fdata-sections -Wl,--gc-sections` so that only the kernels
            this model calls are kept. Then:

            ```c
            #include "model.h"
            int8_t logits[MIXBIT_OUTPUT_COUNT];
            mixbit_run(image, logits);   /* image: MIXBIT_INPUT_BYTES raw uint8 pixels, NHWC ({model.Input.Height}x{model.Input.Width}x{model.Input.Channels}) */
            /* the predicted class is the index of the largest logit */
            ```

            `mixbit_run` uses one static arena of {writer.Arena.SizeBytes:N0} bytes (`MIXBIT_ARENA_BYTES`, the memory model's RAM
            figure) and is not reentrant. Do not enable unaligned-access traps (SCB->CCR.UNALIGN_TRP) with `MIXBIT_USE_DSP`.

            | | bytes |
            |---|---:|
            | packed weights (FLASH) | {model.WeightBytes:N0} |
            | integer parameters (FLASH) | {model.ParameterBytes:N0} |
            | arena (RAM) | {writer.Arena.SizeBytes:N0} |

            ## Ops

            | # | op | kernel | bits w/a/o | MACs | weight bytes | scratch bytes |
            |---:|---|---|---|---:|---:|---:|

            """);
        foreach (var g in writer.Ops)
            sb.Append(CultureInfo.InvariantCulture, $"| {g.Index} | {g.Name} | `{g.Kernel}` | {g.WeightBits}/{g.InputBits}/{g.OutputBits} | {g.Macs:N0} | {g.WeightBytes:N0} | {g.ScratchBytes:N0} |\n");
        sb.Append("""

            ## Files

            - `model.h`, `model.c`: the model (weights and parameters as const arrays, the arena, `mixbit_run`).
            - `mixbit/`: the MixBit runtime kernels (include/mixbit/*.h, src/*.c).
            - `harness/`: test programs, not part of the library: `main.c` runs the embedded test images (`test_data.h`,
              with the integer engine's logits) and checks them bit for bit; `host_eval.c` runs a file of images on the host;
              `size_main.c` is the minimal firmware measured by `make size`.
            - `boards/`: startup file and linker scripts for QEMU's mps2-an386 (Cortex-M4, and the Cortex-M0+ build),
              mps2-an500 (Cortex-M7) and mps3-an547 (Cortex-M55).
            - `Makefile`: `make host`, `make qemu CORE=m4` (m0plus, m4, m7, m55), `make size CORE=m0plus`.
            - `check.json` (with `mixbit deploy --check`): host accuracy, QEMU bit-exactness, sizes and instruction counts.

            """);
        return sb.ToString();
    }
}
