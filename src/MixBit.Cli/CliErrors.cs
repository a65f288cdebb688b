using Spectre.Console;

namespace MixBit.Cli;

/// <summary>
/// Turns user errors into one red line and a non-zero exit code; only genuine bugs show a stack trace.
/// Exit codes: 0 ok, 1 bad command line (System.CommandLine), 2 bad input (file, data, budget), 130 interrupted.
/// </summary>
public static class CliErrors
{
    public const int BadInput = 2;

    public static int Run(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (Unwrap(e) is MixBitException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {Unwrap(e).Message}");
            return BadInput;
        }
        catch (Exception e) when (Unwrap(e) is OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]interrupted[/]");
            return 130;
        }
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerExceptions[0]) : e;
}
