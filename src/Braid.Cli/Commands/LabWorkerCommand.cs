using System.CommandLine;
using System.Text;
using Braid.Lab;

namespace Braid.Cli.Commands;

/// <summary><c>braid lab-worker</c> (hidden): one worker process of the lab's processes model; reads its job on stdin, writes JSON lines on stdout.</summary>
internal static class LabWorkerCommand
{
    public static Command Create()
    {
        var command = new Command(LabWorker.Verb, "Internal: a worker process of 'braid lab' (reads a job on stdin).") { Hidden = true };
        command.SetAction(async (_, cancellationToken) =>
        {
            using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
            await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
            return await LabWorker.RunAsync(input, output, cancellationToken);
        });
        return command;
    }
}
