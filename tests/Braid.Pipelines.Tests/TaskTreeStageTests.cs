using Braid.Instrumentation;

namespace Braid.Pipelines.Tests;

/// <summary>A running pipeline in the task tree: its run's group, and each stage's workers named after the stage.</summary>
public sealed class TaskTreeStageTests
{
    [Fact]
    public async Task A_stages_workers_are_children_of_the_runs_group_named_after_the_stage()
    {
        var name = "tree-" + Guid.NewGuid().ToString("N");
        var inside = 0;
        var bothInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LiveTaskSnapshot snapshot;
        using (LiveTasks.Start())
        {
            var run = Pipeline.From(Enumerable.Range(0, 2), new PipelineOptions { Name = name, TransferBatchSize = 1 })
                .Map(
                    async (x, ct) =>
                    {
                        if (Interlocked.Increment(ref inside) == 2)
                        {
                            bothInside.TrySetResult();
                        }

                        await release.Task.WaitAsync(ct);
                        return x;
                    },
                    new StageOptions { Name = "parse", Workers = 2, Capacity = 2 })
                .RunAsync();
            await bothInside.Task.WaitAsync(TimeSpan.FromSeconds(30));
            snapshot = LiveTasks.Capture();
            release.SetResult();
            await run;
        }

        var group = Assert.Single(snapshot.Groups, g => g.Name == "pipeline " + name);
        var workers = snapshot.Children.Where(c => c.GroupId == group.Id).Select(c => c.Name).Order().ToList();
        Assert.Equal(2, workers.Count(n => n == "parse"));
    }
}
