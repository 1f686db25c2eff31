using System.Globalization;
using Braid.Lab;
using Braid.Lab.Output;
using Spectre.Console;

namespace Braid.Cli.Commands;

/// <summary>Renders a lab run in the terminal: live progress while it runs, then the table, the timeline, the findings; writes the requested files.</summary>
internal static class LabConsole
{
    public static async Task<int> RunAsync(LabOptions options, List<(string Path, Func<LabResults, string> Render)> outputs, bool showProgress, IAnsiConsole? console, CancellationToken cancellationToken)
    {
        try
        {
            return await RunCoreAsync(options, outputs, showProgress, console, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The lab reports task failures as results; what reaches here is the environment (a port,
            // a temporary directory, a worker binary): one line, no stack trace.
            await Console.Error.WriteLineAsync($"braid lab: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> RunCoreAsync(LabOptions options, List<(string Path, Func<LabResults, string> Render)> outputs, bool showProgress, IAnsiConsole? console, CancellationToken cancellationToken)
    {
        console ??= AnsiConsole.Console;
        if (Console.IsOutputRedirected && console.Profile.Width < 150)
        {
            // Redirected output has no terminal width; the table needs about 150 columns to stay legible.
            console.Profile.Width = 150;
        }

        var live = showProgress && !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        console.MarkupLine(Markup.Escape(Invariant($"braid lab: {LabNames.Name(options.Workload)} workload, {options.Tasks} tasks, models {string.Join(", ", options.Models.Select(LabNames.Name))}")));
        LabResults results;
        if (live)
        {
            results = await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var bars = new LiveBars(context, options.Repeats);
                    try
                    {
                        return await LabRunner.RunAsync(options, new DirectProgress(bars.Report), cancellationToken);
                    }
                    finally
                    {
                        bars.StopAll();
                    }
                });
        }
        else if (showProgress)
        {
            // No terminal to animate: one line on stderr when a model starts, about once a second, and when it is done.
            var lines = new ProgressLines(options.Repeats);
            var progress = new DirectProgress(p =>
            {
                if (lines.Next(p, Environment.TickCount64) is { } line)
                {
                    Console.Error.WriteLine(line);
                }
            });
            results = await LabRunner.RunAsync(options, progress, cancellationToken);
        }
        else
        {
            results = await LabRunner.RunAsync(options, null, cancellationToken);
        }

        Render(console, results);
        foreach (var (path, render) in outputs)
        {
            try
            {
                await LabReports.WriteFileAsync(path, render(results), CancellationToken.None);
                console.MarkupLine(Markup.Escape("wrote " + path));
            }
            catch (Exception e) when (OutputFile.IsFileError(e))
            {
                await Console.Error.WriteLineAsync($"braid lab: cannot write {path}: {OutputFile.Reason(e)}");
                return CliRunner.BadInput;
            }
        }

        if (results.Cancelled)
        {
            await Console.Error.WriteLineAsync("braid lab: cancelled; the results above are partial");
            return 130;
        }

        return results.ResultsAgree && results.Checks.All(c => !c.StartsWith("FAILED", StringComparison.Ordinal)) ? 0 : 1;
    }

    public static void Render(IAnsiConsole console, LabResults results)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(Invariant($"{results.Workload}: {results.Tasks} tasks, {results.ProcessorCount} cores")));
        foreach (var (header, left) in new[] { ("model", true), ("wall", false), ("speedup", false), ("tasks/s", false), ("p50 ms", false), ("p99 ms", false), ("max ms", false), ("cpu user+sys ms", false), ("peak RSS MB", false), ("threads", false), ("ctx sw vol/inv", false), ("alloc MB", false), ("ok/failed", false) })
        {
            table.AddColumn(new TableColumn(header) { Alignment = left ? Justify.Left : Justify.Right, NoWrap = left });
        }

        foreach (var m in results.Models)
        {
            var rss = Invariant($"{m.PeakRssBytes / 1048576.0:0}") + (m.WorkersPeakRssBytes > 0 ? Invariant($"+{m.WorkersPeakRssBytes / 1048576.0:0}") : "");
            table.AddRow(
                Markup.Escape(m.Model) + (m.Status == "completed" ? "" : $" [red]({Markup.Escape(m.Status)})[/]"),
                Wall(m.WallMs),
                m.SpeedupOverSequential is { } s ? Invariant($"{s:0.0}x") : "",
                Invariant($"{m.ThroughputPerSecond:0}"),
                Invariant($"{m.LatencyP50Ms:0.0}"),
                Invariant($"{m.LatencyP99Ms:0.0}"),
                Invariant($"{m.LatencyMaxMs:0.0}"),
                Invariant($"{m.UserCpuMs:0}+{m.SystemCpuMs:0}"),
                rss,
                m.PeakThreads.ToString(CultureInfo.InvariantCulture),
                Invariant($"{m.VoluntaryContextSwitches}/{m.InvoluntaryContextSwitches}"),
                Invariant($"{m.AllocatedBytes / 1048576.0:0.0}"),
                m.TasksFailed > 0 ? Invariant($"{m.TasksOk}/[red]{m.TasksFailed}[/]") : Invariant($"{m.TasksOk}/0"));
        }

        console.Write(table);

        var width = Math.Clamp(console.Profile.Width - 30, 20, 100);
        var axis = results.Models.Count == 0 ? 0 : results.Models.Max(m => m.WallMs);
        console.MarkupLine(Markup.Escape(Invariant($"timeline (shared axis, 0 to {Wall(axis)}; darker = more tasks running)")));
        foreach (var (model, bar, wall) in LabReports.TerminalTimeline(results, width))
        {
            console.MarkupLine(Invariant($"{Markup.Escape(model.PadRight(14))}[blue]|{Markup.Escape(bar)}|[/] {Markup.Escape(wall)}"));
        }

        console.WriteLine();
        foreach (var line in results.Findings)
        {
            console.MarkupLine("- " + Markup.Escape(line));
        }

        foreach (var line in results.Checks)
        {
            console.MarkupLine((line.StartsWith("ok", StringComparison.Ordinal) ? "[green]check[/] " : "[red]check[/] ") + Markup.Escape(line));
        }

        foreach (var m in results.Models.Where(m => m.Error is not null))
        {
            console.MarkupLine(Invariant($"[yellow]{Markup.Escape(m.Model)}[/]: {Markup.Escape(m.Error!)}"));
        }

        var o = results.Overhead;
        console.MarkupLine(Markup.Escape(Invariant($"harness: {o.RecordingNsPerTask:0} ns to record a task; sampler {o.SamplerSamples} samples, {o.SamplerMs:0.0} ms; setup {Wall(o.SetupMs)} (outside the models)")));
    }

    private static string Wall(double ms) => ms >= 1000 ? Invariant($"{ms / 1000:0.00} s") : Invariant($"{ms:0.0} ms");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Calls the callback on the reporting thread (Progress&lt;T&gt; would post it to the thread pool, out of order).</summary>
    private sealed class DirectProgress(Action<LabProgress> report) : IProgress<LabProgress>
    {
        public void Report(LabProgress value) => report(value);
    }
}
