using System.CommandLine;
using MixBit.Cli;
using MixBit.Cli.Commands;

// Redirected output (logs, CI) is not wrapped at 80 columns: one message stays one line.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 240;

var root = new RootCommand("MixBit: mixed-precision (2/4/8-bit) quantization of CNNs for microcontrollers.");
// One line per verb; each command parses its options and calls one library service.
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(QuantizeCommand.Create());
root.Subcommands.Add(FinetuneCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
return CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
