using System.CommandLine;
using System.CommandLine.Help;
using Braid.Cli.Commands;

namespace Braid.Cli;

/// <summary>The braid command's tree, built in one place so that tests can run it in-process.</summary>
internal static class BraidCommand
{
    /// <summary>
    /// The root, named <c>braid</c> whatever the executable is called (a <see cref="RootCommand"/> takes
    /// its name from the entry assembly, <c>Braid.Cli</c>, so help would say <c>Usage: Braid.Cli</c>).
    /// </summary>
    public static Command CreateRoot()
    {
        var root = new Command("braid", "Braid: measure, profile and demonstrate asynchronous programming on .NET.")
        {
            new HelpOption(),
            new VersionOption(),
            LabCommand.Create(),
            LabWorkerCommand.Create(),
            PipelineCommand.Create(),
            ServeCommand.Create(),
            LoadCommand.Create(),
            SimCommand.Create(),
            DbCommand.Create(),
            PsCommand.Create(),
            TraceCommand.Create(),
            TopCommand.Create(),
        };

        // No command: what the commands are, as for an unknown one.
        root.SetAction(parse =>
        {
            parse.InvocationConfiguration.Error.Write(CliRunner.CommandList(parse.RootCommandResult.Command, "braid: no command given"));
            return CliRunner.BadInput;
        });
        return root;
    }
}
