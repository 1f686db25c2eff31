namespace Braid.Tracing.Tests;

/// <summary>
/// Braid.Pipelines' stages by name out of process (issue 14): a run is a task group <c>pipeline NAME</c> and each
/// stage's workers are its children named after the stage, as the in-process task tree shows them; the
/// <c>Task.Run</c> a worker starts on is not a node of its own, and a source's async iterator is under its stage.
/// </summary>
public sealed class PsPipelineTests
{
    [Fact]
    public async Task A_pipeline_shows_each_stage_by_name_with_what_its_workers_wait_on()
    {
        using var target = await GrandchildTarget.StartAsync("pipeline");

        var snapshot = AsyncProcess.Capture(target.Id);

        var run = Assert.Single(snapshot.Roots, r => r.Kind == AsyncNodeKind.TaskGroup && r.Name.EndsWith("'pipeline orders'", StringComparison.Ordinal));
        Assert.Equal(["child 'enrich'", "child 'enrich'", "child 'parse'", "child 'save'", "child 'source'"], run.Children.Select(c => c.Name).Order(StringComparer.Ordinal));
        var tree = snapshot.ToTree(coalesce: true);
        Assert.Contains("child 'enrich' ×2\n", tree, StringComparison.Ordinal);
        Assert.DoesNotContain("UnwrapPromise", tree, StringComparison.Ordinal);
        Assert.DoesNotContain("Task.Run", tree, StringComparison.Ordinal);
        var enrich = snapshot.ToTable(coalesce: true).Split('\n').Single(l => l.Contains("child 'enrich'", StringComparison.Ordinal));
        Assert.Matches(@"^2 +Task +Stages\.EnrichAsync ← Stages\.RunAsync lambda ← .* ← child 'enrich' ← task group #[0-9]+ 'pipeline orders'$", enrich);
        var idle = snapshot.ToTable().Split('\n').Where(l => l.Contains("child 'parse'", StringComparison.Ordinal) || l.Contains("child 'save'", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, idle.Count);
        Assert.All(idle, l => Assert.Contains(" channel read ", l, StringComparison.Ordinal));
        Assert.Contains(snapshot.ToTable().Split('\n'), l => l.Contains("Stages.SourceAsync ← SourceStage.", StringComparison.Ordinal) && l.EndsWith("← child 'source' ← " + run.Name, StringComparison.Ordinal));
        Assert.True(await target.AnswersAsync());
    }
}
