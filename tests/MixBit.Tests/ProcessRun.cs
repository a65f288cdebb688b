using System.Diagnostics;

namespace MixBit.Tests;

/// <summary>Runs another program (dotnet, a script) to completion and asserts that it succeeded.</summary>
internal static class ProcessRun
{
    /// <summary>The program's stdout; fails the test, with both outputs, on a non-zero exit or after <paramref name="timeoutMs"/>.</summary>
    public static string Checked(string program, int timeoutMs, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        string command = $"{program} {string.Join(' ', args)}";
        if (!p.WaitForExit(timeoutMs)) { p.Kill(true); Assert.Fail($"{command} did not finish in {timeoutMs / 1000} s"); }
        Assert.True(p.ExitCode == 0, $"{command} exited {p.ExitCode}:\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}
