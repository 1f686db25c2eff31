using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Braid.Lab.Tests.Reports;

/// <summary>One small lab run (every model) shared by the report tests.</summary>
public sealed class LabRunFixture : IAsyncLifetime
{
    public LabResults Results { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Results = await LabRunner.RunAsync(LabTestSupport.Small(LabCatalog.Io) with { FailureRate = 0.2, Tasks = 10 });

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed partial class LabReportsTests(LabRunFixture run) : IClassFixture<LabRunFixture>
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "lab-results.schema.json")));

    [Fact]
    public void The_json_results_validate_against_the_documented_schema()
    {
        var json = LabReports.ToJson(run.Results);
        using var document = JsonDocument.Parse(json);
        var evaluation = Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = evaluation.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? [];
        Assert.True(evaluation.IsValid, string.Join("\n", errors));
        Assert.Equal(run.Results.Models.Count, document.RootElement.GetProperty("models").GetArrayLength());
    }

    [Fact]
    public void The_schema_rejects_results_that_break_it()
    {
        var json = LabReports.ToJson(run.Results).Replace("\"workload\": \"io\"", "\"workload\": \"gpu\"", StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        Assert.False(Schema.Evaluate(document.RootElement).IsValid);
    }

    [Fact]
    public void The_json_results_read_back()
    {
        var back = LabReports.FromJson(LabReports.ToJson(run.Results));
        Assert.Equal(run.Results.Models.Select(m => m.Digest), back.Models.Select(m => m.Digest));
        Assert.Equal(run.Results.Models.Sum(m => m.Tasks.Count), back.Models.Sum(m => m.Tasks.Count));
    }

    [Fact]
    public void The_html_report_is_self_contained_with_an_svg_timeline_per_model()
    {
        var html = LabReports.ToHtml(run.Results);
        foreach (var model in run.Results.Models)
        {
            Assert.Contains($"aria-label=\"{model.Model} timeline\"", html, StringComparison.Ordinal);
        }

        Assert.Equal(run.Results.Models.Count + 1, SvgOpen().Count(html)); // one per model + the overview
        Assert.DoesNotMatch(ExternalResource(), html);
        Assert.All(run.Results.Findings, f => Assert.Contains(System.Net.WebUtility.HtmlEncode(f), html, StringComparison.Ordinal));
        var bars = BarTitle().Count(html);
        Assert.Equal(run.Results.Models.Sum(m => m.Tasks.Count), bars);
    }

    [Fact]
    public void The_findings_quote_this_runs_numbers()
    {
        var sequential = run.Results.Models.Single(m => m.Model == "sequential");
        Assert.Contains(run.Results.Findings, f => f.Contains(sequential.Digest, StringComparison.Ordinal));
        Assert.Contains(run.Results.Findings, f => f.Contains("each failure was reported per task", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_written_trace_nests_on_every_thread_and_has_one_slice_per_task()
    {
        var events = await WrittenTraceAsync(run.Results);
        AssertPerfettoNesting(events, run.Results.Models.Sum(m => m.Tasks.Count));
        Assert.Contains(events, e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("args").GetProperty("name").GetString() == "braid lab: processes");
    }

    [Fact]
    public async Task Overlapping_tasks_on_one_thread_become_async_slices_and_sequential_ones_complete_events()
    {
        // Issue 12: async, async-bounded and the loop run many tasks at once on one thread; as complete
        // events on that thread they overlapped without nesting, which Perfetto cannot draw.
        static TaskRecord Task(int index, string lane, double start, double end) => new() { Index = index, Lane = lane, StartMs = start, EndMs = end, Ok = true };
        var results = run.Results with
        {
            Models =
            [
                new ModelResult { Model = "async", Status = "completed", Tasks = [Task(0, "t1", 0, 10), Task(1, "t1", 1, 5), Task(2, "t1", 2, 12.0004)] },
                new ModelResult { Model = "sequential", Status = "completed", Tasks = [Task(0, "t2", 0, 1.00049), Task(1, "t2", 1.0005, 2), Task(2, "t2", 2, 2)] },
            ],
        };
        var events = await WrittenTraceAsync(results);
        AssertPerfettoNesting(events, 6);
        Assert.Equal(3, events.Count(e => e.GetProperty("ph").GetString() == "b" && e.GetProperty("pid").GetInt32() == 1));
        Assert.Equal(3, events.Count(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("pid").GetInt32() == 2));
    }

    [Fact]
    public void The_html_says_how_cpu_was_measured_and_claims_no_agreement_when_nothing_completed()
    {
        Assert.Contains("CPU time: getrusage(RUSAGE_SELF)", LabReports.ToHtml(run.Results), StringComparison.Ordinal);
        var cancelled = run.Results with { Cancelled = true, Findings = [], Models = [run.Results.Models[0] with { Status = "cancelled" }] };
        var html = LabReports.ToHtml(cancelled);
        Assert.Contains("No model completed: nothing was compared.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("completed models produced the same results", html, StringComparison.Ordinal);
    }

    /// <summary>Writes the trace to a file the way the command does, and reads its events back.</summary>
    private static async Task<List<JsonElement>> WrittenTraceAsync(LabResults results)
    {
        var directory = Directory.CreateTempSubdirectory("braid-lab-trace-").FullName;
        try
        {
            var path = Path.Combine(directory, "lab.trace.json");
            await LabReports.WriteFileAsync(path, LabReports.ToTrace(results));
            using var trace = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            return [.. trace.RootElement.GetProperty("traceEvents").EnumerateArray().Select(e => e.Clone())];
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    /// <summary>
    /// What a thread track needs: its complete events nest (each one inside the one still open, or after
    /// it); async slices pair one begin with one end per (process, category, id); every task is one slice.
    /// </summary>
    private static void AssertPerfettoNesting(List<JsonElement> events, int tasks)
    {
        static string Ph(JsonElement e) => e.GetProperty("ph").GetString()!;
        var complete = events.Where(e => Ph(e) == "X").ToList();
        foreach (var track in complete.GroupBy(e => (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32())))
        {
            var open = new Stack<(double Start, double End)>();
            foreach (var e in track.OrderBy(e => e.GetProperty("ts").GetDouble()).ThenByDescending(e => e.GetProperty("dur").GetDouble()))
            {
                var start = e.GetProperty("ts").GetDouble();
                var end = start + e.GetProperty("dur").GetDouble();
                while (open.Count > 0 && open.Peek().End <= start)
                {
                    open.Pop();
                }

                if (open.TryPeek(out var outer))
                {
                    Assert.True(end <= outer.End, $"pid {track.Key.Item1} tid {track.Key.Item2}: [{start}, {end}] overlaps [{outer.Start}, {outer.End}] without nesting");
                }

                open.Push((start, end));
            }
        }

        var asyncSlices = events.Where(e => Ph(e) is "b" or "e")
            .GroupBy(e => (e.GetProperty("pid").GetInt32(), e.GetProperty("cat").GetString(), e.GetProperty("id").GetString()))
            .ToList();
        Assert.All(asyncSlices, slice =>
        {
            var begin = Assert.Single(slice, e => Ph(e) == "b");
            var end = Assert.Single(slice, e => Ph(e) == "e");
            Assert.True(end.GetProperty("ts").GetDouble() >= begin.GetProperty("ts").GetDouble());
        });
        Assert.Equal(tasks, complete.Count + asyncSlices.Count);
    }

    [Fact]
    public void The_terminal_timeline_has_a_row_per_model_on_one_axis()
    {
        var rows = LabReports.TerminalTimeline(run.Results, 40);
        Assert.Equal(run.Results.Models.Select(m => m.Model), rows.Select(r => r.Model));
        Assert.All(rows, r => Assert.Equal(40, r.Bar.Length));
        // The axis is shared: a model whose tasks ran longer spans more of it. Compared on the measured
        // time during which tasks ran (the union of their intervals, which is what a bar's non-blank
        // cells draw), not on the wall time: the processes model's wall includes its workers' start-up,
        // drawn blank, so a slow start made it the longer model with the shorter bar.
        var cells = run.Results.Models.ToDictionary(m => m.Model, m => rows.Single(r => r.Model == m.Model).Bar.Count(c => c != ' '));
        var byBusy = run.Results.Models.OrderBy(Busy).ToList();
        Assert.All(byBusy.Zip(byBusy.Skip(1)), pair => Assert.True(
            cells[pair.First.Model] <= cells[pair.Second.Model] + 2,
            $"{pair.Second.Model} (tasks ran {Busy(pair.Second)} ms) spans {cells[pair.Second.Model]} cells, {pair.First.Model} ({Busy(pair.First)} ms) {cells[pair.First.Model]}"));
        Assert.True(cells[byBusy[^1].Model] > cells[byBusy[0].Model], "the longest-running model spans more than the shortest");

        static double Busy(ModelResult model)
        {
            double busy = 0, coveredTo = double.MinValue;
            foreach (var task in model.Tasks.OrderBy(t => t.StartMs))
            {
                var from = Math.Max(task.StartMs, coveredTo);
                busy += Math.Max(0, task.EndMs - from);
                coveredTo = Math.Max(coveredTo, task.EndMs);
            }

            return busy;
        }
    }

    [Fact]
    public async Task Files_are_written_whole_and_unwritable_paths_are_refused()
    {
        var directory = Directory.CreateTempSubdirectory("braid-lab-test-").FullName;
        try
        {
            var path = Path.Combine(directory, "r.json");
            Assert.Null(LabReports.CheckWritable(path));
            Assert.Empty(Directory.GetFiles(directory));
            await LabReports.WriteFileAsync(path, "{}");
            Assert.Equal(["r.json"], Directory.GetFiles(directory).Select(Path.GetFileName));
            Assert.NotNull(LabReports.CheckWritable(Path.Combine(directory, "missing", "r.json")));
            Assert.NotNull(LabReports.CheckWritable(directory));
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    [GeneratedRegex("<svg ")]
    private static partial Regex SvgOpen();

    [GeneratedRegex("(src|href)=\"(https?:)?//")]
    private static partial Regex ExternalResource();

    [GeneratedRegex("<title>task \\d+ on ")]
    private static partial Regex BarTitle();
}
