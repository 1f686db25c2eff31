using System.Globalization;
using Braid.Lab;
using Braid.Lab.Output;
using Braid.Lab.Reports;
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
        if (Console.IsOutputRedirected && console.Profile.Width < 160)
        {
            // Redirected output has no terminal width; a file or a pipe gets every column of the table (about 155 wide).
            console.Profile.Width = 160;
        }

        var live = showProgress && !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        console.MarkupLine(Markup.Escape(Invariant($"braid lab: {options.Workload.Name} workload, {Plural.Count(options.Tasks, "task")}, models {string.Join(", ", options.Models)}")));
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
        var all = Columns();
        var cells = results.Models.Select(m => all.Select(c => c.Cell(m)).ToArray()).ToArray();
        var widths = all.Select((c, i) => cells.Select(row => Markup.Remove(row[i]).Length).Append(c.Header.Length).Max()).ToArray();

        // Spectre shrinks a table wider than the console by wrapping its cells, which breaks numbers
        // across lines; instead drop the least useful columns until the rest fit whole. A rounded
        // table costs one padding column each side of a cell and one border between and around them.
        var shown = Enumerable.Range(0, all.Length).ToList();
        int TableWidth() => shown.Sum(i => widths[i] + 3) + 1;
        foreach (var i in Enumerable.Range(0, all.Length).Where(i => all[i].DropRank > 0).OrderBy(i => all[i].DropRank))
        {
            if (TableWidth() <= console.Profile.Width)
            {
                break;
            }

            shown.Remove(i);
        }

        if (TableWidth() > console.Profile.Width)
        {
            // Still too wide (a long model name with its status): the status goes, the timeline below still shows it.
            for (var r = 0; r < cells.Length; r++)
            {
                cells[r][0] = Markup.Escape(results.Models[r].Model);
            }
        }

        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(Invariant($"{results.Workload}: {Plural.Count(results.Tasks, "task")}, {Plural.Count(results.ProcessorCount, "core")}")));
        foreach (var i in shown)
        {
            table.AddColumn(new TableColumn(all[i].Header) { Alignment = i == 0 ? Justify.Left : Justify.Right, NoWrap = true });
        }

        foreach (var row in cells)
        {
            table.AddRow(shown.Select(i => row[i]).ToArray());
        }

        console.Write(table);
        var hidden = Enumerable.Range(0, all.Length).Except(shown).Select(i => all[i].Short).ToList();
        if (hidden.Count > 0)
        {
            // Short names keep this on one line at 80 columns.
            console.MarkupLine(Markup.Escape($"hidden to fit: {string.Join(", ", hidden)}; --json has all"));
        }

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

    /// <summary>The table's columns in order; DropRank 0 is always shown, otherwise lower ranks are hidden first when the console is narrow; Short names them in the line saying so.</summary>
    private static Column[] Columns() =>
    [
        new("model", "model", 0, m => Markup.Escape(m.Model) + (m.Status == "completed" ? "" : $" [red]({Markup.Escape(m.Status)})[/]")),
        new("wall", "wall", 0, m => Wall(m.WallMs)),
        new("speedup", "speedup", 0, m => m.SpeedupOverSequential is { } s ? Invariant($"{s:0.0}x") : ""),
        new("tasks/s", "tasks/s", 7, m => Invariant($"{m.ThroughputPerSecond:0}")),
        new("p50 ms", "p50", 6, m => Invariant($"{m.LatencyP50Ms:0.0}")),
        new("p99 ms", "p99", 0, m => Invariant($"{m.LatencyP99Ms:0.0}")),
        new("max ms", "max", 3, m => Invariant($"{m.LatencyMaxMs:0.0}")),
        new("cpu user+sys ms", "cpu", 0, m => Invariant($"{m.UserCpuMs:0}+{m.SystemCpuMs:0}")),
        new("peak RSS MB", "RSS", 5, m => Invariant($"{m.PeakRssBytes / 1048576.0:0}") + (m.WorkersPeakRssBytes > 0 ? Invariant($"+{m.WorkersPeakRssBytes / 1048576.0:0}") : "")),
        new("threads", "threads", 4, m => m.PeakThreads.ToString(CultureInfo.InvariantCulture)),
        new("ctx sw vol/inv", "ctx sw", 1, m => Invariant($"{m.VoluntaryContextSwitches}/{m.InvoluntaryContextSwitches}")),
        new("alloc MB", "alloc", 2, m => Invariant($"{m.AllocatedBytes / 1048576.0:0.0}")),
        new("ok/failed", "ok/failed", 0, m => m.TasksFailed > 0 ? Invariant($"{m.TasksOk}/[red]{m.TasksFailed}[/]") : Invariant($"{m.TasksOk}/0")),
    ];

    private static string Wall(double ms) => ms >= 1000 ? Invariant($"{ms / 1000:0.00} s") : Invariant($"{ms:0.0} ms");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Column(string Header, string Short, int DropRank, Func<ModelResult, string> Cell);

    /// <summary>Calls the callback on the reporting thread (Progress&lt;T&gt; would post it to the thread pool, out of order).</summary>
    private sealed class DirectProgress(Action<LabProgress> report) : IProgress<LabProgress>
    {
        public void Report(LabProgress value) => report(value);
    }
}
