using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MixBit.Tests.Cli;

/// <summary>Runs the real `mixbit` executable (built beside the tests) as a child process.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        using var p = Start(args);
        return p.Wait();
    }

    /// <summary>Starts mixbit without waiting, e.g. to signal it while it works.</summary>
    public static Running Start(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "MixBit.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["COLUMNS"] = "200";
        return new Running(Process.Start(psi)!);
    }

    /// <summary>
    /// A started mixbit process; stdout and stderr are read as they come (so a test can wait for a line), and
    /// <see cref="Wait"/> returns them with the exit code.
    /// </summary>
    public sealed class Running : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _stdout = new(), _stderr = new();
        private readonly TaskCompletionSource _outClosed = new(), _errClosed = new();

        public Running(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is null) _outClosed.TrySetResult(); else lock (_stdout) _stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is null) _errClosed.TrySetResult(); else lock (_stderr) _stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

        /// <summary>Waits until stdout contains <paramref name="text"/>; false if the process ended or the time ran out first.</summary>
        public bool WaitForOutput(string text, int timeoutMs = 120_000)
        {
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < timeoutMs)
            {
                if (Stdout.Contains(text, StringComparison.Ordinal)) return true;
                if (_process.HasExited) return Stdout.Contains(text, StringComparison.Ordinal);
                Thread.Sleep(20);
            }
            return false;
        }

        /// <summary>Sends a POSIX signal (Process.Kill only sends SIGKILL).</summary>
        public void Signal(PosixSignal signal)
        {
            int number = signal switch { PosixSignal.SIGINT => 2, PosixSignal.SIGTERM => 15, _ => throw new ArgumentException(signal.ToString()) };
            if (kill(_process.Id, number) != 0) throw new InvalidOperationException($"kill({_process.Id}, {number}) failed");
        }

        public (int ExitCode, string Stdout, string Stderr) Wait(int timeoutMs = 180_000)
        {
            if (!_process.WaitForExit(timeoutMs)) { _process.Kill(true); throw new TimeoutException($"mixbit did not finish in {timeoutMs / 1000} s"); }
            Task.WaitAll([_outClosed.Task, _errClosed.Task], 10_000);
            lock (_stderr) return (_process.ExitCode, Stdout, _stderr.ToString());
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(true);
            _process.Dispose();
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);
    }
}

/// <summary>What every refused command must show: the exit code, one line on stderr naming the problem, no stack trace.</summary>
internal static class CliAssert
{
    public static void CleanError((int ExitCode, string Stdout, string Stderr) r, string expected, int exitCode = 2)
    {
        string all = r.Stdout + r.Stderr;
        Assert.True(exitCode == r.ExitCode, $"exit code {r.ExitCode}, expected {exitCode}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.DoesNotContain("   at ", all);          // no stack frames
        Assert.DoesNotContain("Unhandled exception", all);
        Assert.Contains(expected, r.Stderr);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}:\n{r.Stderr}");
        Assert.DoesNotContain("error:", r.Stdout, StringComparison.OrdinalIgnoreCase);
    }
}
