using System.Diagnostics;
using System.Globalization;
using System.Text;
using MixBit.Memory;
using MixBit.Models.Architectures;
using MixBit.Nn.Specs;

namespace MixBit.Tests.Memory;

/// <summary>The memory model's scratch sizes are the C runtime's: its *_get_buffer_size functions, compiled and run.</summary>
public class KernelScratchTests
{
    [Fact]
    public void Scratch_of_every_op_equals_the_C_runtime_get_buffer_size_on_random_and_real_models()
    {
        var ops = new List<DeployedOp>();
        var rng = new Random(3);
        for (int trial = 0; trial < 40; trial++) ops.AddRange(DeploymentPlan.Build(MemoryTestModels.Random(rng, trial)).Ops);
        ops.AddRange(DeploymentPlan.Build(MobileNetV1.Build(new ArchitectureOptions(0.25, 28, 1, 10))).Ops);
        ops.AddRange(DeploymentPlan.Build(MobileNetV2.Build(new ArchitectureOptions(0.35, 32, 3, 10))).Ops);
        var calls = new StringBuilder();
        foreach (var op in ops) calls.AppendLine($"    printf(\"%ld\\n\", (long){CallOf(op)});");
        var printed = CompileAndRun(calls.ToString());
        Assert.Equal(ops.Count, printed.Length);
        for (int i = 0; i < ops.Count; i++)
            Assert.True(KernelScratch.Bytes(ops[i]) == long.Parse(printed[i], CultureInfo.InvariantCulture),
                $"{ops[i].Name} ({ops[i].Kind}): C# {KernelScratch.Bytes(ops[i])}, C {printed[i]}");
        Assert.Contains(ops, o => KernelScratch.Bytes(o) > 0 && o.Kind == DeployedOpKind.DepthwiseConv2d);
    }

    private static string CallOf(DeployedOp op)
    {
        switch (op.Spec)
        {
            case LinearSpec l: return $"mb_fc_get_buffer_size(&(mb_fc_params){{{l.InFeatures}, {l.OutFeatures}, 0}})";
            case Conv2dSpec c:
                var o = op.OutputShape;
                int inH = (o.Height - 1) * c.StrideH + c.KernelH - c.PadTop - c.PadBottom, inW = (o.Width - 1) * c.StrideW + c.KernelW - c.PadLeft - c.PadRight;
                string p = $"&(mb_conv2d_params){{{inH}, {inW}, {c.InChannels}, {o.Height}, {o.Width}, {c.OutChannels}, {c.KernelH}, {c.KernelW}, {c.StrideH}, {c.StrideW}, {c.PadTop}, {c.PadLeft}, 0}}";
                string fn = c.IsDepthwise ? "mb_dwconv2d" : c.IsPointwise ? "mb_pwconv2d" : "mb_conv2d";
                return $"{fn}_get_buffer_size({p})";
            default: return "0";
        }
    }

    private static string[] CompileAndRun(string body)
    {
        string dir = Directory.CreateTempSubdirectory("mixbit-scratch-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "main.c"), $"#include <stdio.h>\n#include \"mixbit/mixbit.h\"\nint main(void)\n{{\n{body}    return 0;\n}}\n");
            var sources = Directory.GetFiles(TestFolders.Repo("runtime/src"), "*.c");
            Run("gcc", ["-std=c99", "-O0", "-I", TestFolders.Repo("runtime/include"), "-I", TestFolders.Repo("runtime/src"), "-o", Path.Combine(dir, "scratch"), Path.Combine(dir, "main.c"), .. sources]);
            return Run(Path.Combine(dir, "scratch"), []).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static string Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {err.Result}");
        return output;
    }
}
