using Xunit.Abstractions;

namespace Braid.Lab.Tests;

public sealed class LabRunnerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_model_produces_the_same_io_results_failures_included()
    {
        var options = LabTestSupport.Small(LabCatalog.Io) with { FailureRate = 0.25, Seed = 3 };
        var results = await LabRunner.RunAsync(options);
        foreach (var m in results.Models)
        {
            output.WriteLine($"{m.Model}: {m.Status} {m.WallMs} ms ok={m.TasksOk} failed={m.TasksFailed} stored={m.StoredRows} {m.Error}");
        }

        Assert.Equal(LabCatalog.Models.Count, results.Models.Count);
        Assert.True(results.ResultsAgree, string.Join("; ", results.Disagreements));
        Assert.True(results.AllChecksPassed, string.Join("; ", results.Checks)); // injected failures are expected ones
        var expectedFailures = Enumerable.Range(0, options.Tasks).Count(i => Braid.Lab.Workloads.Deterministic.Fails(options.Seed, i, options.FailureRate));
        Assert.InRange(expectedFailures, 1, options.Tasks - 1); // the seed must exercise both paths
        foreach (var model in results.Models.AsEnumerable())
        {
            Assert.Equal("completed", model.Status);
            Assert.Equal(expectedFailures, model.TasksFailed);
            Assert.Equal(options.Tasks - expectedFailures, model.TasksOk);
            Assert.Equal(model.TasksOk, model.StoredRows);
            Assert.Equal(options.Tasks, model.Tasks.Count);
            Assert.All(model.Tasks.Where(t => !t.Ok), t => Assert.Equal("HTTP 500", t.Error));
            Assert.Equal(results.Models[0].Digest, model.Digest);
        }

        var processes = results.Models.Single(m => m.Model == "processes");
        Assert.Equal(2, processes.Workers.Count);
        Assert.All(processes.Workers, w => Assert.Equal(0, w.ExitCode));
        Assert.Equal(options.Tasks, processes.Workers.Sum(w => w.TasksReturned));
        Assert.Equal(["w0", "w1"], processes.Tasks.Select(t => t.Lane).Distinct().Order());
        Assert.Empty(LabTestSupport.ChildWorkers());
    }

    [Fact]
    public async Task Cpu_results_agree_and_match_known_values()
    {
        var options = LabTestSupport.Small(LabCatalog.Cpu, LabCatalog.Sequential, LabCatalog.Threads, LabCatalog.Pool, LabCatalog.Async, LabCatalog.Loop);
        var results = await LabRunner.RunAsync(options);
        Assert.True(results.ResultsAgree, string.Join("; ", results.Disagreements));
        Assert.All(results.Models, m => Assert.Equal(options.Tasks, m.TasksOk));
        Assert.Equal(4, results.Checks.Count); // three distances and pi
        Assert.All(results.Checks, c => Assert.StartsWith("ok: ", c));
        Assert.Contains(results.Checks, c => c.Contains("pi from 60,000 series terms", StringComparison.Ordinal));
        Assert.All(results.Models, m => Assert.Null(m.StoredRows));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Db_queries_agree_with_fresh_and_pooled_connections(bool pooled)
    {
        var options = LabTestSupport.Small(LabCatalog.Db, LabCatalog.Sequential, LabCatalog.Pool, LabCatalog.Async, LabCatalog.Loop) with { PooledConnections = pooled };
        var results = await LabRunner.RunAsync(options);
        Assert.True(results.ResultsAgree, string.Join("; ", results.Disagreements));
        Assert.All(results.Models, m => Assert.Equal(options.Tasks, m.TasksOk));
        Assert.True(results.PooledConnections == pooled);
    }

    [Fact]
    public async Task Mixed_tasks_fetch_store_and_compute()
    {
        var options = LabTestSupport.Small(LabCatalog.Mixed, LabCatalog.Sequential, LabCatalog.Async);
        var results = await LabRunner.RunAsync(options);
        Assert.True(results.ResultsAgree, string.Join("; ", results.Disagreements));
        Assert.All(results.Models, m => Assert.Equal(options.Tasks, m.StoredRows));
        Assert.Contains(results.Checks, c => c.StartsWith("ok: pi", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Async_overlaps_the_waits_that_sequential_adds_up()
    {
        // Statistics as the oracle, not a stopwatch bound: sequential tasks never overlap, async ones do.
        var options = LabTestSupport.Small(LabCatalog.Io, LabCatalog.Sequential, LabCatalog.Async) with { Latency = TimeSpan.FromMilliseconds(20) };
        var results = await LabRunner.RunAsync(options);
        var sequential = results.Models[0].Tasks.OrderBy(t => t.StartMs).ToList();
        Assert.All(sequential.Zip(sequential.Skip(1)), pair => Assert.True(pair.Second.StartMs >= pair.First.EndMs));
        Assert.True(results.Models[0].WallMs >= options.Tasks * 20, "every sequential task waits the full latency");
        var asyncModel = results.Models[1];
        var busy = asyncModel.Tasks.Sum(t => t.EndMs - t.StartMs);
        Assert.True(busy >= 3 * asyncModel.WallMs, $"async tasks overlap: {busy:0} ms of task time in {asyncModel.WallMs:0} ms of wall time");
    }

    [Fact]
    public async Task Cancellation_keeps_what_was_measured()
    {
        using var cancel = new CancellationTokenSource();
        var options = LabTestSupport.Small(LabCatalog.Io, LabCatalog.Sequential, LabCatalog.Async) with { Tasks = 200, Latency = TimeSpan.FromMilliseconds(20) };
        var progress = new CancelWhen(p => p.Model == "sequential" && p.Done >= 3, cancel);
        var results = await LabRunner.RunAsync(options, progress, cancel.Token);
        Assert.True(results.Cancelled);
        var sequential = Assert.Single(results.Models);
        Assert.Equal("cancelled", sequential.Status);
        Assert.InRange(sequential.TasksOk, 3, 199);
        Assert.Equal(sequential.TasksOk, sequential.Tasks.Count);

        // Tasks that never started are neither ok nor failed, and nothing disagrees with nothing.
        Assert.Equal(0, sequential.TasksFailed);
        Assert.Equal(200 - sequential.TasksOk, sequential.TasksNotRun);
        Assert.True(results.ResultsAgree);
        Assert.Empty(results.Disagreements);
    }

    [Fact]
    public async Task Repeats_report_every_wall_time_and_the_median_run()
    {
        var options = LabTestSupport.Small(LabCatalog.Cpu, LabCatalog.Sequential, LabCatalog.Async) with { Repeats = 3 };
        var results = await LabRunner.RunAsync(options);
        Assert.All(results.Models, m =>
        {
            Assert.Equal(3, m.RepeatWallMs.Count);
            Assert.Equal(m.RepeatWallMs.Order().ElementAt(1), m.WallMs, 3);
        });
        Assert.True(results.ResultsAgree);
    }

    [Fact]
    public async Task Invalid_options_are_refused_before_anything_runs()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => LabRunner.RunAsync(new LabOptions { Tasks = -1 }));
        Assert.Contains("tasks must be between 1 and 5000, not -1", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Cancels a source the first time a progress report matches (called on the reporting thread).</summary>
    internal sealed class CancelWhen(Func<LabProgress, bool> condition, CancellationTokenSource source) : IProgress<LabProgress>
    {
        public void Report(LabProgress value)
        {
            if (condition(value))
            {
                source.Cancel();
            }
        }
    }
}
