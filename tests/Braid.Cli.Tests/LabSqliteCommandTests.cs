using System.Text.Json;

namespace Braid.Cli.Tests;

/// <summary><c>braid lab -w sqlite-naive</c> and <c>-w sqlite-single</c> (docs/design.md rule 157): the models each runs or refuses, and the option checks.</summary>
public sealed class LabSqliteCommandTests
{
    [Fact]
    public async Task The_single_writer_under_worker_processes_is_one_line_and_exit_2()
    {
        var (exit, stdout, stderr) = await Cli.RunAsync("lab", "-w", "sqlite-single", "-m", "sequential,processes", "--tasks", "5", "--no-progress");
        Assert.Equal(2, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith("braid lab: the processes model cannot run sqlite-single: its one writer lives in one process", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task By_default_the_single_writer_runs_every_model_but_processes_and_says_so()
    {
        using var file = new TempJson();
        var (exit, _, stderr) = await Cli.RunAsync("lab", "-w", "sqlite-single", "--tasks", "20", "--no-progress", "--json", file.Path);
        Assert.True(exit == 0, stderr);
        Assert.StartsWith("braid lab: note: left out of the default models: the processes model cannot run sqlite-single", stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file.Path));
        Assert.Equal("sqlite-single", json.RootElement.GetProperty("workload").GetString());
        var models = json.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["sequential", "threads", "async", "async-bounded", "loop", "pool"], models.Select(m => m.GetProperty("model").GetString()));
        Assert.All(models, m => Assert.Equal(20, m.GetProperty("storedRows").GetInt64()));
    }

    [Fact]
    public async Task The_naive_writers_pass_their_checks_and_options_they_do_not_read_are_warnings()
    {
        using var file = new TempJson();
        var (exit, _, stderr) = await Cli.RunAsync("lab", "-w", "sqlite-naive", "-m", "sequential,threads", "--tasks", "30", "--latency", "5", "--db-connections", "pooled", "--no-progress", "--json", file.Path);
        Assert.True(exit == 0, stderr);
        Assert.StartsWith(
            "braid lab: warning: --latency does nothing here: the sqlite-naive workload makes no requests\n"
            + "braid lab: warning: --db-connections does nothing here: only the db workload opens connections\n",
            stderr,
            StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file.Path));
        Assert.True(json.RootElement.GetProperty("allChecksPassed").GetBoolean());
        foreach (var m in json.RootElement.GetProperty("models").EnumerateArray())
        {
            Assert.Equal(30, m.GetProperty("storedRows").GetInt64() + m.GetProperty("tasksFailed").GetInt32());
        }
    }

    private sealed class TempJson : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"braid-lab-sqlite-{Guid.NewGuid():N}.json");

        public void Dispose() => File.Delete(Path);
    }
}
