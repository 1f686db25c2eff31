using System.CommandLine;
using Braid.Cli.Commands;

namespace Braid.Cli;

/// <summary>The braid command's tree, built in one place so that tests can run it in-process.</summary>
internal static class BraidCommand
{
    public static RootCommand CreateRoot() => new("Braid: measure, profile and demonstrate asynchronous programming on .NET.")
    {
        LabCommand.Create(),
        LabWorkerCommand.Create(),
        PipelineCommand.Create(),
    };
}
