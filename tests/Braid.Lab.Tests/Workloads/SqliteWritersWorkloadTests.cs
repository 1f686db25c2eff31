using Braid.Lab.Workloads;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Braid.Lab.Tests.Workloads;

/// <summary>The SQLite before/after workloads (docs/design.md rules 87, 88, 151 and 157), at quick sizes.</summary>
public sealed class SqliteWritersWorkloadTests(ITestOutputHelper output) : IDisposable
{
    private const int Tasks = 60;

    private readonly string _directory = Directory.CreateTempSubdirectory("braid-sqlite-writers-").FullName;

    [Fact]
    public async Task Concurrent_writers_with_their_own_connections_report_database_is_locked_and_lose_no_row_silently()
    {
        var naive = LabCatalog.SqliteNaive;
        Assert.Equal("sqlite-naive", naive.Name);
        var results = await LabRunner.RunAsync(Options(naive, LabCatalog.Sequential, LabCatalog.Threads, LabCatalog.Processes, LabCatalog.Async));

        Report(results);
        Assert.All(results.Models, m => Assert.Equal("completed", m.Status));
        Assert.Equal(Tasks, results.Models[0].TasksOk);
        var threads = results.Models[1];
        Assert.True(threads.TasksFailed > 0, "no task of the threads model failed");

        foreach (var m in results.Models)
        {
            // Every failure is a lock error, reported as the task's result.
            Assert.All(m.Tasks.Where(t => !t.Ok), t => Assert.Contains("database is locked", t.Error, StringComparison.Ordinal));

            // Written + failed = attempted, counted in the file; the rows are exactly the tasks that succeeded.
            var ok = m.Tasks.Where(t => t.Ok).Select(t => t.Index).Order().ToList();
            var (rows, sum, ids) = Read($"{m.Model}-1");
            Assert.Equal(Tasks, rows + m.TasksFailed);
            Assert.Equal(ok, ids);
            Assert.Equal(ok.Sum(SqliteWritersWorkload.ValueOf), sum);
            Assert.Equal(rows, m.StoredRows);
        }

        // The failures are the workload's result: no check fails, the models agree where both succeeded.
        Assert.True(results.AllChecksPassed, string.Join("; ", [.. results.Checks, .. results.Disagreements]));
        Assert.Contains(results.Findings, f => f.Contains("database is locked", StringComparison.Ordinal) && f.Contains("threads " + threads.TasksFailed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Contains(results.Findings, f => f.Contains("No row was lost silently", StringComparison.Ordinal));
        Assert.Contains(results.Findings, f => f.StartsWith("Counted in rows written, not tasks: sequential ", StringComparison.Ordinal));
        Assert.Contains(results.Findings, f => f.Contains("--workload sqlite-single", StringComparison.Ordinal));
        Assert.Equal(2, results.Models[2].Workers.Count);
    }

    [Fact]
    public async Task One_writer_loses_no_row_under_any_in_process_model()
    {
        var single = LabCatalog.SqliteSingle;
        Assert.Equal("sqlite-single", single.Name);
        var results = await LabRunner.RunAsync(Options(single, LabCatalog.Sequential, LabCatalog.Threads, LabCatalog.Async, LabCatalog.AsyncBounded, LabCatalog.Loop, LabCatalog.Pool));

        Report(results);
        var expectedSum = Enumerable.Range(0, Tasks).Sum(SqliteWritersWorkload.ValueOf);
        Assert.All(results.Models, m =>
        {
            Assert.Equal("completed", m.Status);
            Assert.Equal(Tasks, m.TasksOk);
            Assert.Equal(0, m.TasksFailed);
            Assert.Equal(Tasks, m.StoredRows);
            Assert.True(m.ThroughputPerSecond > 0);
            var (rows, sum, _) = Read($"{m.Model}-1");
            Assert.Equal((Tasks, expectedSum), (rows, sum));
        });
        Assert.True(results.AllChecksPassed, string.Join("; ", [.. results.Checks, .. results.Disagreements]));
        Assert.Contains(results.Findings, f => f.Contains("no write failed under any model", StringComparison.Ordinal));
    }

    [Fact]
    public void The_single_writer_refuses_worker_processes_with_one_sentence_and_the_naive_form_runs_in_them()
    {
        var refused = new LabOptions { Workload = LabCatalog.SqliteSingle, Models = [LabCatalog.Sequential, LabCatalog.Processes] }.Validate();
        Assert.StartsWith("the processes model cannot run sqlite-single: its one writer lives in one process", refused, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused!);
        Assert.Null(new LabOptions { Workload = LabCatalog.SqliteNaive, Models = [LabCatalog.Processes] }.Validate());
        Assert.Null(new LabOptions { Workload = LabCatalog.SqliteSingle, Models = [.. LabCatalog.Models.Where(m => m != LabCatalog.Processes)] }.Validate());
        Assert.Equal(LabSettings.None, LabCatalog.SqliteNaive.Settings);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private LabOptions Options(LabWorkload workload, params LabModel[] models) =>
        LabTestSupport.Small(workload, models) with { Tasks = Tasks, WorkDirectory = _directory };

    // The before/after table docs/databases.md quotes: failures as results, and throughput.
    private void Report(LabResults results)
    {
        foreach (var m in results.Models)
        {
            output.WriteLine($"{results.Workload,-14} {m.Model,-11} ok {m.TasksOk,4}  failed {m.TasksFailed,4}  stored {m.StoredRows,4}  {m.ThroughputPerSecond,8:F0} tasks/s  first error: {m.Tasks.FirstOrDefault(t => !t.Ok)?.Error ?? "none"}");
        }

        foreach (var finding in results.Findings)
        {
            output.WriteLine("- " + finding);
        }
    }

    private (long Rows, long Sum, List<int> Ids) Read(string run)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = SqliteWritersWorkload.PathOf(_directory, run), Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, value FROM rows ORDER BY id";
        using var reader = command.ExecuteReader();
        var ids = new List<int>();
        long sum = 0;
        while (reader.Read())
        {
            ids.Add(reader.GetInt32(0));
            sum += reader.GetInt64(1);
        }

        return (ids.Count, sum, ids);
    }
}
