using MixBit.Workflows;
using Spectre.Console;

namespace MixBit.Cli;

/// <summary>
/// Turns user errors into one red line on stderr and a non-zero exit code; only genuine bugs show a stack trace.
/// Exit codes: 0 ok, 1 bad command line (System.CommandLine), 2 bad input (file, data, budget) or unknown command, 130 interrupted by
/// SIGINT (Ctrl+C), 143 by SIGTERM. Results go to stdout, MixBit's errors and warnings to stderr, so that `--json`
/// output or a redirected report is never mixed with them.
/// </summary>
public static class CliErrors
{
    public const int BadInput = 2;

    /// <summary>The console for errors and warnings: stderr, never wrapped when redirected (one message, one line).</summary>
    public static IAnsiConsole Error { get; } = CreateErrorConsole();

    public static int Run(Func<int> body)
    {
        try { return body(); }
        // I/O failures are the environment's (a disk, a permission), not bugs: one line, not a stack trace.
        catch (Exception e) when (Unwrap(e) is MixBitException or IOException or UnauthorizedAccessException)
        {
            Report(Unwrap(e).Message);
            return BadInput;
        }
        catch (Exception e) when (Unwrap(e) is OperationCanceledException c)
        {
            Error.MarkupLineInterpolated($"[yellow]{(c is RunInterruptedException ? c.Message : "Interrupted: nothing was written.")}[/]");
            return Interruption.ExitCode;
        }
    }

    /// <summary>One error line: "error: " and the message.</summary>
    public static void Report(string message) => Error.MarkupLineInterpolated($"[red]error:[/] {message}");

    public static void Warn(string message) => Error.MarkupLineInterpolated($"[yellow]warning:[/] {message}");

    private static IAnsiConsole CreateErrorConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected) console.Profile.Width = 100_000;
        return console;
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0]) : e;
}
