using System.CommandLine;
using System.CommandLine.Help;
using MixBit.Cli.Commands;

namespace MixBit.Cli;

/// <summary>
/// The `mixbit` command: its verbs, help and version. The root is a plain command named "mixbit" rather than a
/// RootCommand, whose name is the executable's ("MixBit.Cli" when run as `dotnet MixBit.Cli.dll`).
/// </summary>
public static class MixBitCommand
{
    public const string Name = "mixbit";

    public static Command Create()
    {
        var root = new Command(Name, "MixBit: mixed-precision (2/4/8-bit) quantization of CNNs for microcontrollers.")
        {
            new HelpOption(),
            // Prints the informational version of the entry assembly (Version in Directory.Build.props).
            new VersionOption(),
        };
        // One line per verb; each command parses its options and calls one library service.
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(FinetuneCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(DeployCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A first word that names no command is refused before parsing, so that
    /// `mixbit frobnicate --help` fails (exit 2, one line on stderr) instead of printing the root help and succeeding.
    /// </summary>
    public static int Invoke(Command root, string[] args)
    {
        if (args.Length > 0 && UnknownCommand(root, args[0]))
        {
            CliErrors.Report($"'{args[0]}' is not a {Name} command; use one of {string.Join(", ", root.Subcommands.Select(c => c.Name))} (`{Name} --help` lists them).");
            return CliErrors.BadInput;
        }
        // No System.CommandLine signal handling: the long commands handle SIGINT and SIGTERM themselves (Interruption).
        return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>A word in the command's place (not an option, response file or directive) that is no verb's name or alias.</summary>
    private static bool UnknownCommand(Command root, string word)
        => word.Length > 0 && word[0] is not ('-' or '@' or '[') &&
           !root.Subcommands.Any(c => c.Name == word || c.Aliases.Contains(word));
}
