using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Braid.Pipelines;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid pipeline --progress</c> on stderr: a live per-stage panel when stderr is a terminal, plain
/// lines (one a second) otherwise, and in both cases the final totals once the run has ended.
/// </summary>
/// <remarks>
/// It only renders: every figure, the elapsed time included, comes from the pipeline's statistics
/// snapshots (<see cref="PipelineOptions.OnProgress"/>), which the pipeline reports every
/// <see cref="Interval"/> (as often as the panel is redrawn, or once a second for plain lines) and once
/// more, with the final snapshot, when the run ends. That final snapshot is also the summary's
/// statistics, so the panel's last time and counts are the summary's. <see cref="Report"/> runs on the
/// pipeline's timer thread and only hands the snapshot over; the live panel is drawn on its own task.
/// </remarks>
internal sealed class PipelineProgress
{
    /// <summary>How often the live panel is redrawn: the progress interval it asks the pipeline for.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a plain line is printed.</summary>
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(1);

    // GraphPipeline leaves every stage's input buffer at the builder's default size.
    private static readonly int BufferCapacity = new StageOptions().Capacity;

    private readonly object _gate = new();
    private readonly IAnsiConsole _console;
    private readonly TextWriter _plain;
    private readonly CancellationTokenSource _stop = new();

    // The newest snapshot for the live panel; an older one not drawn yet is dropped.
    private readonly Channel<PipelineStatistics> _frames = Channel.CreateBounded<PipelineStatistics>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly Task _animation = Task.CompletedTask;
    private PipelineStatistics? _last;
    private Exception? _reportFailure;
    private bool _stopped;

    private PipelineProgress(IAnsiConsole console, TextWriter plain, bool live)
    {
        _console = console;
        _plain = plain;
        IsLive = live;
        if (live)
        {
            _animation = AnimateAsync();
        }
    }

    /// <summary>Whether the live panel is shown (otherwise plain lines).</summary>
    public bool IsLive { get; }

    /// <summary>The progress interval to ask the pipeline for (<see cref="PipelineOptions.ProgressInterval"/>).</summary>
    public TimeSpan Interval => IsLive ? RefreshInterval : PlainInterval;

    /// <summary>Whether <paramref name="console"/> can be redrawn in place: ANSI sequences on an interactive terminal (not redirected, not CI).</summary>
    public static bool CanAnimate(IAnsiConsole console) => console.Profile.Capabilities is { Ansi: true, Interactive: true };

    /// <summary>Starts showing progress: the live panel on <paramref name="console"/> when it <see cref="CanAnimate"/>, else plain lines on <paramref name="plain"/>.</summary>
    public static PipelineProgress Start(IAnsiConsole console, TextWriter plain) => new(console, plain, CanAnimate(console));

    /// <summary>Takes a statistics snapshot; called by the pipeline on its timer thread, and once at the end.</summary>
    public void Report(PipelineStatistics statistics)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _last = statistics;
            if (IsLive)
            {
                _frames.Writer.TryWrite(statistics);
                return;
            }

            if (statistics.Completed || _reportFailure is not null)
            {
                return;
            }

            try
            {
                _plain.WriteLine(PlainLine("running", statistics));
            }
            catch (Exception e)
            {
                // The pipeline discards a progress callback's exceptions; this one is rethrown by StopAsync.
                _reportFailure = e;
            }
        }
    }

    /// <summary>
    /// Stops the live panel, then renders the final totals from the last snapshot. <paramref name="failure"/>
    /// is how the run ended (<see langword="null"/>: done). Throws what the display itself failed with,
    /// after rendering what it could.
    /// </summary>
    public async Task StopAsync(Exception? failure)
    {
        PipelineStatistics? last;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            last = _last;
        }

        await _stop.CancelAsync();
        var failures = new List<Exception>();
        try
        {
            await _animation;
        }
        catch (Exception e)
        {
            failures.Add(e);
        }

        if (_reportFailure is not null)
        {
            failures.Add(_reportFailure);
        }

        var outcome = failure switch
        {
            null => "done",
            OperationCanceledException => "cancelled",
            _ => "failed",
        };
        try
        {
            if (IsLive)
            {
                _console.Write(Panel(outcome, last, final: true));
            }
            else
            {
                await _plain.WriteLineAsync(last is null ? $"braid pipeline: {outcome}, no counters" : PlainLine(outcome, last));
            }
        }
        catch (Exception e)
        {
            failures.Add(e);
        }

        _stop.Dispose();
        if (failures.Count == 1)
        {
            ExceptionDispatchInfo.Throw(failures[0]);
        }
        else if (failures.Count > 1)
        {
            throw new AggregateException(failures);
        }
    }

    /// <summary>
    /// One plain line: <c>braid pipeline: running 2.0 s; source 1,024 in 1,024 out 0 failed 512/s buffer 0; ...</c>
    /// (items per second since the run started; buffer: items waiting in the stage's input).
    /// </summary>
    internal static string PlainLine(string state, PipelineStatistics statistics)
    {
        var c = CultureInfo.InvariantCulture;
        var stages = statistics.Stages.Select(s => string.Create(c, $"{s.Name} {s.ItemsIn:N0} in {s.ItemsOut:N0} out {s.ItemsFailed:N0} failed {s.Throughput:N0}/s buffer {s.QueueDepth:N0}"));
        return string.Create(c, $"braid pipeline: {state} {PipelineCommand.Seconds(statistics.Elapsed)}; ") + string.Join("; ", stages);
    }

    /// <summary>
    /// The panel: one row per stage (name, workers, items in, out and failed, items per second since the
    /// start, input buffer fill), titled with the state and the elapsed time.
    /// </summary>
    internal static IRenderable Panel(string state, PipelineStatistics? statistics, bool final)
    {
        var elapsed = statistics?.Elapsed ?? TimeSpan.Zero;
        IReadOnlyList<StageStatistics> rows = statistics?.Stages ?? [];
        var c = CultureInfo.InvariantCulture;
        var colour = state switch { "done" => "green", "running" => "blue", _ => "red" };
        var table = new Table()
            .Border(TableBorder.Simple)
            .Title(string.Create(c, $"braid pipeline: [{colour}]{state}[/] {PipelineCommand.Seconds(elapsed)}"));
        // One space of padding (the border adds one between columns): a busy run's frame fits 80 columns.
        var padding = new Padding(0, 0, 1, 0);
        table.AddColumn(new TableColumn("stage") { NoWrap = true, Padding = padding });
        foreach (var header in new[] { "workers", "in", "out", "failed", "items/s" })
        {
            table.AddColumn(new TableColumn(header) { Alignment = Justify.Right, NoWrap = true, Padding = padding });
        }

        table.AddColumn(new TableColumn("buffer") { NoWrap = true, Padding = padding });
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.Name),
                string.Create(c, $"{row.ActiveWorkers}/{row.Workers}"),
                string.Create(c, $"{row.ItemsIn:N0}"),
                string.Create(c, $"{row.ItemsOut:N0}"),
                row.ItemsFailed > 0 ? string.Create(c, $"[red]{row.ItemsFailed:N0}[/]") : "0",
                string.Create(c, $"{row.Throughput:N0}"),
                Buffer(row, final));
        }

        if (rows.Count == 0)
        {
            table.Caption(final ? "no counters: the run ended before its first stage started" : "waiting for the first counters");
        }
        else if (statistics is { Completed: true } && !final)
        {
            // The live panel between the pipeline's end and the summary: the largest component, then the file.
            table.Caption("pipeline done; writing the output");
        }

        return table;
    }

    private static string Buffer(StageStatistics row, bool final)
    {
        if (row.Name == "source")
        {
            return ""; // the source has no input buffer
        }

        var depth = row.QueueDepth;
        var c = CultureInfo.InvariantCulture;
        if (final)
        {
            return string.Create(c, $"{depth:N0}");
        }

        const int width = 8;
        var fill = Math.Clamp((double)depth / BufferCapacity, 0, 1);
        var filled = (int)Math.Round(width * fill);
        return string.Create(c, $"[yellow]{new string('█', filled)}[/][grey]{new string('░', width - filled)}[/] {100 * fill,3:F0}%");
    }

    private async Task AnimateAsync()
    {
        // Let the caller start the pipeline before the first frame is drawn.
        await Task.Yield();
        await _console.Live(Panel("running", null, final: false)).AutoClear(true).StartAsync(async context =>
        {
            // Drawn at once ("waiting for the first counters"), not at the first snapshot.
            context.Refresh();
            try
            {
                while (await _frames.Reader.WaitToReadAsync(_stop.Token))
                {
                    while (_frames.Reader.TryRead(out var statistics))
                    {
                        context.UpdateTarget(LiveFrame(statistics));
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopped: StopAsync writes the final panel once the live region is cleared.
            }
        });
    }

    /// <summary>The live frame for <paramref name="statistics"/>: its counters and its elapsed time, nothing measured here.</summary>
    internal static IRenderable LiveFrame(PipelineStatistics statistics) =>
        Panel(statistics.Completed ? "done" : "running", statistics, final: false);
}
