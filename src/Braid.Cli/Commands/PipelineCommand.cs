using System.CommandLine;

namespace Braid.Cli.Commands;

/// <summary><c>braid pipeline</c>: the graph pipeline demo (issue 6).</summary>
internal static class PipelineCommand
{
    public static Command Create()
    {
        var command = new Command("pipeline", "Stream a lexical dataset through a staged pipeline into a graph.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("braid pipeline: not built yet (issue 6).");
            return CliRunner.BadInput;
        });
        return command;
    }
}
