using MixBit.Cli;

// Redirected output (logs, CI) is not wrapped at 80 columns: one message stays one line.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;

MixBit.Warnings.Handler = CliErrors.Warn;

var root = MixBitCommand.Create();
return CliErrors.Run(() => MixBitCommand.Invoke(root, args));
