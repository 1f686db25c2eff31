using System.Text.Json;

namespace Braid.Lab.Tests.Extension;

/// <summary>
/// A model and a workload defined here, in the test project, run through <see cref="LabRunner"/> end to
/// end beside built-in ones: passed in <see cref="LabOptions"/>, with no entry in <see cref="LabCatalog"/>
/// and no switch anywhere that names them.
/// </summary>
public sealed class ExtensionTests
{
    [Fact]
    public async Task A_model_and_a_workload_of_your_own_run_measured_and_checked_beside_the_built_in_models()
    {
        var workload = new SquaresWorkload();
        var options = new LabOptions { Workload = workload, Models = [LabCatalog.Sequential, new ReverseModel(), LabCatalog.Loop], Tasks = 12, Repeats = 2 };
        Assert.Null(options.Validate());

        var results = await LabRunner.RunAsync(options);

        Assert.Equal("squares", results.Workload);
        Assert.Equal(["sequential", "reverse", "loop"], results.Models.Select(m => m.Model));
        Assert.All(results.Models, m =>
        {
            Assert.Equal("completed", m.Status);
            Assert.Equal(12, m.TasksOk);
            Assert.Equal(12, m.StoredRows);
            Assert.Equal(2, m.RepeatWallMs.Count);
        });
        Assert.True(results.ResultsAgree, string.Join("; ", results.Disagreements));
        Assert.True(results.AllChecksPassed, string.Join("; ", results.Checks));
        Assert.Contains("ok: squares set up", results.Checks);

        var reverse = results.Models[1];
        Assert.Equal("12 tasks from last to first", reverse.Description);
        Assert.NotNull(reverse.SpeedupOverSequential);
        var byIndex = reverse.Tasks.OrderBy(t => t.Index).ToList();
        Assert.All(Enumerable.Range(0, 11), i => Assert.True(byIndex[i].StartMs >= byIndex[i + 1].EndMs, $"task {i} started before task {i + 1} ended"));
        Assert.Contains(results.Findings, f => f.Contains("All 3 completed models produced the same results", StringComparison.Ordinal));

        // One fixture for the run, disposed once; a fresh session per model run, each disposed.
        var fixture = Assert.Single(workload.Started);
        Assert.True(fixture.Disposed);
        Assert.Equal(["warmup", "sequential-1", "sequential-2", "reverse-1", "reverse-2", "loop-1", "loop-2"], fixture.Sessions.Select(s => s.Name));
        Assert.All(fixture.Sessions, s => Assert.True(s.Disposed));

        // The reports render a name they have never heard of.
        Assert.Contains("reverse", LabReports.ToHtml(results), StringComparison.Ordinal);
        Assert.Contains("braid lab: reverse", LabReports.ToTrace(results), StringComparison.Ordinal);
        Assert.Equal(results.Models.Select(m => m.Digest), LabReports.FromJson(LabReports.ToJson(results)).Models.Select(m => m.Digest));
    }

    [Fact]
    public async Task A_model_of_your_own_is_held_to_the_same_checks()
    {
        // A task the workload did not make fail on purpose is a failed check, whoever ran it.
        var results = await LabRunner.RunAsync(new LabOptions { Workload = new SquaresWorkload { FailingTask = 5 }, Models = [new ReverseModel()], Tasks = 8 });

        var model = Assert.Single(results.Models);
        Assert.Equal(7, model.TasksOk);
        Assert.Equal("told to fail", Assert.Single(model.Tasks, t => !t.Ok).Error);
        Assert.False(results.AllChecksPassed);
        Assert.Contains(results.Checks, c => c.StartsWith("FAILED: reverse: 1 of 8 tasks failed that the workload did not make fail", StringComparison.Ordinal));
    }

    [Fact]
    public void The_schema_names_exactly_the_catalog_s_models_and_workloads()
    {
        // The schema describes what 'braid lab' writes: the built-in names, kept in step with the catalog.
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "lab-results.schema.json")));
        var properties = schema.RootElement.GetProperty("properties");
        var workloads = properties.GetProperty("workload").GetProperty("enum").EnumerateArray().Select(e => e.GetString());
        var models = schema.RootElement.GetProperty("$defs").GetProperty("model").GetProperty("properties").GetProperty("model").GetProperty("enum").EnumerateArray().Select(e => e.GetString());
        Assert.Equal(LabCatalog.Workloads.Select(w => w.Name), workloads);
        Assert.Equal(LabCatalog.Models.Select(m => m.Name), models);
    }
}
