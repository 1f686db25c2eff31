using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Braid.Lab.Tests.Reports;

/// <summary>One small lab run (every model) shared by the report tests.</summary>
public sealed class LabRunFixture : IAsyncLifetime
{
    public LabResults Results { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Results = await LabRunner.RunAsync(LabTestSupport.Small(LabWorkload.Io) with { FailureRate = 0.2, Tasks = 10 });

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
    public void The_trace_has_one_complete_event_per_task()
    {
        using var trace = JsonDocument.Parse(LabReports.ToTrace(run.Results));
        var events = trace.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        Assert.Equal(run.Results.Models.Sum(m => m.Tasks.Count), events.Count(e => e.GetProperty("ph").GetString() == "X"));
        Assert.Contains(events, e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("args").GetProperty("name").GetString() == "braid lab: processes");
    }

    [Fact]
    public void The_terminal_timeline_has_a_row_per_model_on_one_axis()
    {
        var rows = LabReports.TerminalTimeline(run.Results, 40);
        Assert.Equal(run.Results.Models.Select(m => m.Model), rows.Select(r => r.Model));
        Assert.All(rows, r => Assert.Equal(40, r.Bar.Length));
        var sequential = rows.Single(r => r.Model == "sequential").Bar;
        var asyncRow = rows.Single(r => r.Model == "async").Bar;
        Assert.True(sequential.Count(c => c != ' ') > asyncRow.Count(c => c != ' '), "sequential spans more of the shared axis than async");
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
