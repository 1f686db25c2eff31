using System.CommandLine;
using Braid.Cli;
using Braid.Cli.Commands;

// The braid command. Each command is a thin shell over a library type (ARCHITECTURE.md §2):
// it parses, calls the library, renders. Bad input ends with one line on stderr and exit code 2.
var root = new RootCommand("Braid: measure, profile and demonstrate asynchronous programming on .NET.")
{
    LabCommand.Create(),
    LabWorkerCommand.Create(),
    PipelineCommand.Create(),
};
return await CliRunner.InvokeAsync(root, args);
