using System.CommandLine;
using MixBit.Cli;
using MixBit.Cli.Commands;

var root = new RootCommand("MixBit: mixed-precision (2/4/8-bit) quantization of CNNs for microcontrollers.");
// One line per verb; each command parses its options and calls one library service.
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(QuantizeCommand.Create());
return CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
