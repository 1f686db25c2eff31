using System.Diagnostics;
using System.Text.Json;
using Braid.Lab.Web;

namespace Braid.Lab.Tests.Web;

/// <summary>The web experiment end to end: real 'braid serve' processes, real load; structure and invariants, never which endpoint wins.</summary>
public sealed class WebExperimentTests
{
    private static readonly IReadOnlyList<string> ServeCommand = [.. LabTestSupport.WorkerCommand.Take(LabTestSupport.WorkerCommand.Count - 1), "serve"];

    private static WebExperimentOptions Small => new()
    {
        Rate = 20,
        Connections = 4,
        Duration = TimeSpan.FromSeconds(1),
        Work = TimeSpan.FromMilliseconds(10),
        PollInterval = TimeSpan.FromMilliseconds(100),
        ServerCommand = ServeCommand,
    };

    [Fact]
    public async Task A_quick_run_measures_every_endpoint_and_leaves_no_server_behind()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var progress = new List<WebProgress>();
        var result = await WebExperiment.RunAsync(Small, p => progress.Add(p), guard.Token);

        Assert.False(result.Cancelled);
        Assert.Equal(WebExperimentOptions.KnownEndpoints, result.Endpoints.Select(e => e.Endpoint));
        Assert.Equal(WebExperimentOptions.KnownEndpoints, progress.Where(p => p.Load is null).Select(p => p.Endpoint));
        foreach (var e in result.Endpoints)
        {
            var load = e.Load;
            Assert.InRange(load.Sent + load.Dropped, 19, 21);     // 1 s at 20 a second, every due send counted once
            Assert.Equal(load.Sent, load.Completed + load.Abandoned);
            Assert.Equal(load.Completed, load.Ok + load.Failed);
            Assert.Equal(0, load.Abandoned);
            Assert.NotNull(load.Latency);
            Assert.Equal(load.Completed, load.Latency!.Count);
            Assert.True(load.Latency.P50Ms <= load.Latency.P99Ms && load.Latency.P99Ms <= load.Latency.MaxMs, e.Endpoint);
            Assert.True(load.Latency.P50Ms >= 10, $"{e.Endpoint}: a request does 10 ms of work, p50 {load.Latency.P50Ms} ms");

            Assert.NotEmpty(e.PoolSamples);
            Assert.All(e.PoolSamples, s => Assert.True(s.PoolThreads >= 1 && s.QueueLength >= 0 && s.PollMs >= 0));
            Assert.Equal(e.PoolSamples.OrderBy(s => s.TimeS).Select(s => s.TimeS), e.PoolSamples.Select(s => s.TimeS));
            Assert.Equal(e.PoolSamples.Max(s => s.PoolThreads), e.PeakPoolThreads);

            Assert.True(e.ServerExited, e.Endpoint);
            Assert.True(IsGone(e.ServerProcessId), $"{e.Endpoint}: server process {e.ServerProcessId} still runs");
        }

        Assert.Equal(4, result.Endpoints.Select(e => e.ServerProcessId).Distinct().Count()); // a fresh server each
        Assert.NotEmpty(result.Findings);
        Assert.All(WebExperimentOptions.KnownEndpoints, name => Assert.Contains(name, result.Findings[0], StringComparison.Ordinal));

        var text = WebReports.ToText(result);
        Assert.All(WebExperimentOptions.KnownEndpoints, name => Assert.Contains("\n" + name + " ", text, StringComparison.Ordinal));
        using var json = JsonDocument.Parse(WebReports.ToJson(result));
        var endpoints = json.RootElement.GetProperty("endpoints");
        Assert.Equal(4, endpoints.GetArrayLength());
        Assert.True(endpoints[0].GetProperty("poolSamples").GetArrayLength() > 0);
        Assert.True(endpoints[0].GetProperty("load").GetProperty("latency").GetProperty("p99Ms").GetDouble() > 0);

        // The HTML report, from the same small run: every endpoint in the table, five charts, the findings.
        var html = WebReports.ToHtml(result);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
        Assert.All(WebExperimentOptions.KnownEndpoints, name => Assert.Contains("<tr><td>" + name + "</td>", html, StringComparison.Ordinal));
        Assert.Equal(5, html.Split("<svg ").Length - 1);
        Assert.Equal(5, html.Split("viewBox=").Length - 1);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(result.Findings[0]), html, StringComparison.Ordinal);
        Assert.Contains("<polyline ", html, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_returns_what_was_measured_and_kills_the_server()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await WebExperiment.RunAsync(
            Small with { Endpoints = ["async", "cpu"], Duration = TimeSpan.FromSeconds(30) },
            p =>
            {
                if (p.Load is { Completed: > 0 })
                {
                    cancel.Cancel();
                }
            },
            cancel.Token);

        Assert.True(result.Cancelled);
        var only = Assert.Single(result.Endpoints);
        Assert.Equal("async", only.Endpoint);
        Assert.True(only.Load.Cancelled);
        Assert.True(only.Load.Completed > 0);
        Assert.True(IsGone(only.ServerProcessId));
    }

    [Fact]
    public async Task A_server_that_cannot_start_is_one_clear_error()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => WebExperiment.RunAsync(
            Small with { ServerCommand = [.. ServeCommand, "--port", "70000"] }));
        Assert.Contains("did not start", e.Message, StringComparison.Ordinal);
        Assert.Contains("70000", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fibers")]
    [InlineData("")]
    public void Bad_options_are_one_sentence(string endpoint)
    {
        var options = Small with { Endpoints = endpoint.Length == 0 ? [] : [endpoint] };
        Assert.NotNull(options.Validate());
        Assert.NotNull((Small with { Rate = 0 }).Validate());
        Assert.NotNull((Small with { Endpoints = ["async", "async"] }).Validate());
        Assert.NotNull((Small with { Duration = TimeSpan.Zero }).Validate());
        Assert.Null(Small.Validate());
        Assert.Null(WebExperimentOptions.Quick.Validate());
    }

    [Fact]
    public void Pool_figures_are_read_from_prometheus_text()
    {
        const string Text = "# TYPE dotnet_thread_pool_thread_count gauge\n"
            + "dotnet_thread_pool_thread_count{otel_scope_name=\"System.Runtime\"} 12\n"
            + "dotnet_thread_pool_queue_length{otel_scope_name=\"System.Runtime\"} 340 1733400000000\n"
            + "dotnet_thread_pool_work_item_count_total{otel_scope_name=\"System.Runtime\"} 189\n";
        Assert.Equal((12, 340L), WebExperiment.ParseMetrics(Text));
        Assert.Null(WebExperiment.ParseMetrics("dotnet_thread_pool_thread_count 3\n"));
    }

    private static bool IsGone(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
