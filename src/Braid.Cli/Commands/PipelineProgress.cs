using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Braid.Pipelines;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid pipeline --progress</c> on stderr: a live per-stage panel when stderr is a terminal, plain
/// lines (one a second) otherwise, and in both cases the final totals once the run has ended.
/// </summary>
/// <remarks>
/// Counters come from two places. <see cref="Report"/> receives the pipeline's statistics snapshots
/// (<see cref="Braid.Lab.Graphs.GraphPipelineOptions.OnProgress"/>: every second, and once more with the final
/// counts when the run ends); they give workers, buffers and the totals. The graph pipeline reports once
/// a second, so between snapshots the panel reads the per-stage item counters of the
/// <c>Braid.Pipelines</c> meter (<see cref="PipelineTelemetry"/>), which move with every transferred
/// batch: each refresh (<see cref="RefreshInterval"/>) shows the counts of that moment. The final
/// rendering uses the final snapshot alone.
/// </remarks>
internal sealed class PipelineProgress
{
    /// <summary>How often the live panel is redrawn.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    // GraphPipeline leaves every stage's input buffer at the builder's default size.
    private static readonly int BufferCapacity = new StageOptions().Capacity;

    private readonly object _gate = new();
    private readonly IAnsiConsole _console;
    private readonly TextWriter _plain;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly CancellationTokenSource _stop = new();
    private readonly MeterListener? _listener;
    private readonly ConcurrentDictionary<string, LiveCounts> _live = new(StringComparer.Ordinal);
    private readonly List<string> _liveOrder = [];
    private readonly Task _animation = Task.CompletedTask;
    private PipelineStatistics? _last;
    private Exception? _reportFailure;
    private bool _stopped;

    private PipelineProgress(IAnsiConsole console, TextWriter plain, bool live, TimeProvider time)
    {
        _console = console;
        _plain = plain;
        _time = time;
        _start = time.GetTimestamp();
        IsLive = live;
        if (live)
        {
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == PipelineTelemetry.Name)
                    {
                        listener.EnableMeasurementEvents(instrument, this);
                    }
                },
            };
            _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((PipelineProgress)state!).Measure(instrument, value, tags));
            _listener.Start();
            _animation = AnimateAsync();
        }
    }

    /// <summary>Whether the live panel is shown (otherwise plain lines).</summary>
    public bool IsLive { get; }

    /// <summary>Whether <paramref name="console"/> can be redrawn in place: ANSI sequences on an interactive terminal (not redirected, not CI).</summary>
    public static bool CanAnimate(IAnsiConsole console) => console.Profile.Capabilities is { Ansi: true, Interactive: true };

    /// <summary>Starts showing progress: the live panel on <paramref name="console"/> when it <see cref="CanAnimate"/>, else plain lines on <paramref name="plain"/>.</summary>
    public static PipelineProgress Start(IAnsiConsole console, TextWriter plain, TimeProvider? time = null) =>
        new(console, plain, CanAnimate(console), time ?? TimeProvider.System);

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
            if (IsLive || statistics.Completed || _reportFailure is not null)
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
    /// Stops the live panel (and its timer and meter listener), then renders the final totals from the last
    /// snapshot. <paramref name="failure"/> is how the run ended (<see langword="null"/>: done). Throws what
    /// the display itself failed with, after rendering what it could.
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
        _listener?.Dispose();
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
        return string.Create(c, $"braid pipeline: {state} {statistics.Elapsed.TotalSeconds:F1} s; ") + string.Join("; ", stages);
    }

    /// <summary>
    /// The panel: one row per stage (name, workers, items in, out and failed, items per second since the
    /// start, input buffer fill), titled with the state and the elapsed time.
    /// </summary>
    internal static IRenderable Panel(string state, PipelineStatistics? statistics, bool final) =>
        Panel(state, statistics?.Elapsed ?? TimeSpan.Zero, statistics is null ? [] : [.. statistics.Stages.Select(Row.From)], final);

    private static Table Panel(string state, TimeSpan elapsed, IReadOnlyList<Row> rows, bool final)
    {
        var c = CultureInfo.InvariantCulture;
        var colour = state switch { "done" => "green", "running" => "blue", _ => "red" };
        var table = new Table()
            .Border(TableBorder.Simple)
            .Title(string.Create(c, $"braid pipeline: [{colour}]{state}[/] {elapsed.TotalSeconds:F1} s"));
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
            var rate = elapsed > TimeSpan.Zero ? row.Out / elapsed.TotalSeconds : 0;
            table.AddRow(
                Markup.Escape(row.Name),
                row.Workers is { } w ? string.Create(c, $"{row.ActiveWorkers}/{w}") : "",
                string.Create(c, $"{row.In:N0}"),
                string.Create(c, $"{row.Out:N0}"),
                row.Failed > 0 ? string.Create(c, $"[red]{row.Failed:N0}[/]") : "0",
                string.Create(c, $"{rate:N0}"),
                Buffer(row, final));
        }

        if (rows.Count == 0)
        {
            table.Caption(final ? "no counters: the run ended before its first stage started" : "waiting for the first counters");
        }

        return table;
    }

    private static string Buffer(Row row, bool final)
    {
        if (row.HasInput is not true || row.Depth is not { } depth)
        {
            return ""; // the source has no input buffer
        }

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
        await _console.Live(LiveFrame()).AutoClear(true).StartAsync(async context =>
        {
            using var timer = new PeriodicTimer(RefreshInterval, _time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    context.UpdateTarget(LiveFrame());
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopped: StopAsync writes the final panel once the live region is cleared.
            }
        });
    }

    /// <summary>The live frame: the latest snapshot's stages with the meter's newer item counts.</summary>
    internal Table LiveFrame()
    {
        PipelineStatistics? last;
        lock (_gate)
        {
            last = _last;
        }

        var elapsed = _time.GetElapsedTime(_start);
        List<Row> rows;
        if (last is not null)
        {
            rows = [.. last.Stages.Select(s => Row.From(s).With(_live.TryGetValue(s.Name, out var counts) ? counts : null))];
        }
        else
        {
            // Before the first snapshot the meter alone knows the stages, in the order they first moved.
            lock (_liveOrder)
            {
                rows = [.. _liveOrder.Select(name => new Row(name, null, 0, 0, 0, 0, null, null).With(_live[name]))];
            }
        }

        return Panel("running", elapsed, rows, final: false);
    }

    private void Measure(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key != "braid.pipeline.stage" || tag.Value is not string qualified)
            {
                continue;
            }

            // The tag is "pipeline/stage"; one braid process runs one pipeline.
            var name = qualified[(qualified.LastIndexOf('/') + 1)..];
            if (!_live.TryGetValue(name, out var counts))
            {
                lock (_liveOrder)
                {
                    if (!_live.TryGetValue(name, out counts))
                    {
                        counts = new LiveCounts();
                        _live[name] = counts;
                        _liveOrder.Add(name);
                    }
                }
            }

            counts.Add(instrument.Name, value);
            return;
        }
    }

    private sealed class LiveCounts
    {
        private long _in;
        private long _out;
        private long _failed;

        public long In => Interlocked.Read(ref _in);

        public long Out => Interlocked.Read(ref _out);

        public long Failed => Interlocked.Read(ref _failed);

        public void Add(string instrument, long value)
        {
            switch (instrument)
            {
                case "braid.pipeline.items.in":
                    Interlocked.Add(ref _in, value);
                    break;
                case "braid.pipeline.items.out":
                    Interlocked.Add(ref _out, value);
                    break;
                case "braid.pipeline.items.failed":
                    Interlocked.Add(ref _failed, value);
                    break;
            }
        }
    }

    private sealed record Row(string Name, int? Workers, int ActiveWorkers, long In, long Out, long Failed, long? Depth, bool? HasInput)
    {
        public static Row From(StageStatistics s) =>
            new(s.Name, s.Workers, s.ActiveWorkers, s.ItemsIn, s.ItemsOut, s.ItemsFailed, s.QueueDepth, s.Name != "source");

        // Both sources only grow, and each is a count the stage has reached: the larger is the newer.
        public Row With(LiveCounts? counts) => counts is null
            ? this
            : this with { In = Math.Max(In, counts.In), Out = Math.Max(Out, counts.Out), Failed = Math.Max(Failed, counts.Failed) };
    }
}
