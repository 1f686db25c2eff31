using System.CommandLine;
using Braid.Lab.Output;
using Braid.Tracing;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid ps PID</c>: the async state of a running .NET process (issue 14), read from outside by
/// <see cref="AsyncProcess"/>; this file parses and renders.
/// </summary>
internal static class PsCommand
{
    public static Command Create()
    {
        var pid = new Argument<int>("PID") { Description = "The process to read (any .NET process of your user)" };
        var tree = new Option<bool>("--tree") { Description = "An indented tree, outermost awaiters first (like asyncio pstree); the default is a flat table, one row per innermost await" };
        var coalesce = new Option<bool>("--coalesce") { Description = "Merge identical chains into one entry with a count" };
        var json = new Option<bool>("--json") { Description = "The tree as JSON" };
        var csv = new Option<bool>("--csv") { Description = "The table as CSV" };
        var output = new Option<string>("--output", "-o") { Description = "Write to this file instead of standard output", DefaultValueFactory = _ => OutputFile.StandardOutput };
        var command = new Command("ps", "Show the pending async methods of a running .NET process, with Braid's task groups and children by name.")
        {
            pid, tree, coalesce, json, csv, output,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(
            new Arguments(parsed.GetValue(pid), parsed.GetValue(tree), parsed.GetValue(coalesce), parsed.GetValue(json), parsed.GetValue(csv), parsed.GetValue(output)!),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>The command's parsed arguments.</summary>
    internal sealed record Arguments(int Pid, bool Tree = false, bool Coalesce = false, bool Json = false, bool Csv = false, string Output = OutputFile.StandardOutput);

    /// <summary>Reads the process and prints it; bad input (no such process, not .NET, another user's, an unwritable output) is one line and <see cref="CliRunner.BadInput"/>.</summary>
    internal static async Task<int> RunAsync(Arguments arguments, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (new[] { arguments.Tree, arguments.Json, arguments.Csv }.Count(x => x) > 1)
        {
            return await BadInputAsync(stderr, "choose one of --tree, --json and --csv");
        }

        if (OutputFile.Check(arguments.Output) is { } problem)
        {
            return await BadInputAsync(stderr, problem);
        }

        AsyncSnapshot snapshot;
        try
        {
            snapshot = AsyncProcess.Capture(arguments.Pid);
        }
        catch (TracingException e)
        {
            return await BadInputAsync(stderr, e.Message);
        }

        var text = arguments.Json ? snapshot.ToJson(arguments.Coalesce) + "\n"
            : arguments.Csv ? snapshot.ToCsv(arguments.Coalesce)
            : arguments.Tree ? snapshot.ToTree(arguments.Coalesce)
            : snapshot.ToTable(arguments.Coalesce);
        if (arguments.Output == OutputFile.StandardOutput)
        {
            await stdout.WriteAsync(text);
        }
        else
        {
            try
            {
                await OutputFile.WriteAsync(arguments.Output, text, cancellationToken);
            }
            catch (Exception e) when (OutputFile.IsFileError(e))
            {
                return await BadInputAsync(stderr, $"cannot write {arguments.Output}: {OutputFile.Reason(e)}");
            }
        }

        if (snapshot.DumpNote is { } note)
        {
            await stderr.WriteLineAsync($"braid ps: {note}");
        }

        if (snapshot.Warning is { } warning)
        {
            await stderr.WriteLineAsync($"braid ps: {warning}");
        }

        await stderr.WriteLineAsync(snapshot.Summary());
        return 0;
    }

    private static async Task<int> BadInputAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"braid ps: {message}");
        return CliRunner.BadInput;
    }
}
