namespace Braid.Lab.Tests.Models;

public sealed class ProcessModelTests
{
    [Fact]
    public async Task A_worker_that_dies_is_reported_and_its_tasks_count_as_failed()
    {
        var options = LabTestSupport.Small(LabCatalog.Io, LabCatalog.Processes) with { WorkerCrashAfter = 2 };
        var results = await LabRunner.RunAsync(options);
        var processes = Assert.Single(results.Models);
        Assert.Equal("completed", processes.Status);
        Assert.Equal(4, processes.TasksOk); // two per worker before each exits with code 3
        Assert.Equal(8, processes.TasksFailed);
        Assert.All(processes.Workers, w =>
        {
            Assert.Equal(3, w.ExitCode);
            Assert.Equal(2, w.TasksReturned);
            Assert.Contains("exited with code 3 after 2 of 6 tasks; 4 tasks counted failed", w.Error, StringComparison.Ordinal);
        });
        Assert.Contains("exited with code 3", processes.Error, StringComparison.Ordinal);
        Assert.False(results.AllChecksPassed); // lost tasks are failed checks: the command exits non-zero
        Assert.Contains(results.Checks, c => c.StartsWith("FAILED: processes: 8 of 12 tasks failed that the workload did not make fail (0 injected", StringComparison.Ordinal));
        Assert.All(processes.Tasks.Where(t => !t.Ok), t => Assert.StartsWith("lost: worker", t.Error, StringComparison.Ordinal));
        Assert.Empty(LabTestSupport.ChildWorkers());
    }

    [Fact]
    public async Task Every_repeat_of_the_processes_model_gets_a_fresh_store_and_succeeds()
    {
        // Issue 12: the workers of repeat 2 wrote into repeat 1's stores, every insert broke the primary
        // key, and 2 of 200 tasks came back ok (ChannelClosedException) while the run still passed.
        var options = LabTestSupport.Small(LabCatalog.Io, LabCatalog.Processes) with { Repeats = 2 };
        var results = await LabRunner.RunAsync(options);
        var processes = Assert.Single(results.Models);
        Assert.Equal(2, processes.RepeatWallMs.Count);
        Assert.Equal(options.Tasks, processes.TasksOk);
        Assert.Equal(options.Tasks, processes.StoredRows);
        Assert.True(results.AllChecksPassed, string.Join("; ", results.Checks));
        Assert.Empty(LabTestSupport.ChildWorkers());
    }

    [Fact]
    public async Task A_worker_that_throws_is_reported_with_the_exception_message_not_its_stack()
    {
        // A store left where worker 1 will open its own makes that worker throw before its first task.
        var directory = Directory.CreateTempSubdirectory("braid-lab-test-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "store-processes-1-w1.db"), "");
            var options = LabTestSupport.Small(LabCatalog.Io, LabCatalog.Processes) with { WorkDirectory = directory };
            var results = await LabRunner.RunAsync(options);
            var processes = Assert.Single(results.Models);
            var crashed = processes.Workers.Single(w => w.Worker == 1);
            Assert.NotEqual(0, crashed.ExitCode);
            Assert.Contains("stderr: Unhandled exception: System.InvalidOperationException: the store ", crashed.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(" at Braid.", crashed.Error, StringComparison.Ordinal);
            Assert.Contains(results.Findings, f => f.Contains("The 1 that finished held", StringComparison.Ordinal) && f.Contains("the others died before reporting theirs", StringComparison.Ordinal));
            Assert.DoesNotContain(results.Findings, f => f.Contains("0.0 MB", StringComparison.Ordinal));
            Assert.False(results.AllChecksPassed);
            Assert.Empty(LabTestSupport.ChildWorkers());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Cancelling_the_processes_model_leaves_no_child_process()
    {
        using var cancel = new CancellationTokenSource();
        var options = LabTestSupport.Small(LabCatalog.Io, LabCatalog.Processes) with { Tasks = 400, Latency = TimeSpan.FromMilliseconds(50) };
        bool? sawWorkers = null;
        var progress = new LabRunnerTests.CancelWhen(
            p =>
            {
                // Cancel once a task came back: the workers are certainly running then. (Later reports,
                // after the model stopped, must not overwrite what was seen.)
                if (p.Done >= 1 && sawWorkers is null)
                {
                    sawWorkers = LabTestSupport.ChildWorkers().Count == 3; // two workers and the record server
                    return true;
                }

                return false;
            },
            cancel);
        var results = await LabRunner.RunAsync(options, progress, cancel.Token);
        Assert.True(sawWorkers == true, "two worker processes and the record server were alive while the model ran");
        Assert.True(results.Cancelled);
        Assert.Equal("cancelled", Assert.Single(results.Models).Status);
        Assert.InRange(results.Models[0].TasksOk, 1, 399);
        Assert.Equal(2, results.Models[0].Workers.Count);
        Assert.All(results.Models[0].Workers, w => Assert.Contains("killed on cancellation", w.Error, StringComparison.Ordinal));
        Assert.Empty(LabTestSupport.ChildWorkers());
    }

    [Fact]
    public async Task A_worker_without_a_job_says_so_and_exits_with_2()
    {
        using var input = new StringReader("not json\n");
        using var output = new StringWriter();
        Assert.Equal(2, await LabWorker.RunAsync(input, output, CancellationToken.None));
        Assert.Equal("", output.ToString());
    }
}
