using System.Runtime.InteropServices;

namespace MixBit.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM, handled alike while a long command runs: the first one cancels the work, which stops
/// at the next batch (a checkpoint being written is finished first) and reports truly what is saved; a second one
/// ends the process at once (outputs are written atomically, so nothing is left half-written either way).
/// </summary>
public static class Interruption
{
    private static PosixSignal? _signal;

    /// <summary>128 + the signal's number, as shells report a process ended by it.</summary>
    public static int ExitCode => _signal == PosixSignal.SIGTERM ? 143 : 130;

    public static T Run<T>(Func<CancellationToken, T> work)
    {
        using var cts = new CancellationTokenSource();
        void Handle(PosixSignalContext context)
        {
            if (cts.IsCancellationRequested) return; // the second signal takes its default action: terminate
            _signal = context.Signal;
            context.Cancel = true;
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        return work(cts.Token);
    }
}
