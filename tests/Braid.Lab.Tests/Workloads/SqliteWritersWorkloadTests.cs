using Braid.Lab.Workloads;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Braid.Lab.Tests.Workloads;

/// <summary>The SQLite before/after workload (docs/design.md rules 87, 88 and 151), at quick sizes.</summary>
public sealed class SqliteWritersWorkloadTests(ITestOutputHelper output) : IDisposable
{
    private const int Tasks = 60;

    private readonly string _directory = Directory.CreateTempSubdirectory("braid-sqlite-writers-").FullName;

    [Fact]
    public async Task Concurrent_writers_with_their_own_connections_report_database_is_locked_as_results()
    {
        var naive = LabCatalog.SqliteWriters[0];
        Assert.Equal("sqlite-naive", naive.Name);
        var results = await LabRunner.RunAsync(new LabOptions { Workload = naive, Models = [LabCatalog.Sequential, LabCatalog.Threads, LabCatalog.Async], Tasks = Tasks, WorkDirectory = _directory });

        Report(results);
        var sequential = results.Models[0];
        Assert.Equal("completed", sequential.Status);
        Assert.Equal(Tasks, sequential.TasksOk);
        var threads = results.Models[1];
        Assert.Equal("completed", threads.Status);
        Assert.True(threads.TasksFailed > 0, "no task of the threads model failed");
        Assert.All(threads.Tasks.Where(t => !t.Ok), t => Assert.Contains("database is locked", t.Error, StringComparison.Ordinal));

        // What failed is missing from the table; what succeeded is there, and nothing else.
        var ok = threads.Tasks.Where(t => t.Ok).Select(t => t.Index).ToList();
        Assert.Equal(Tasks - threads.TasksFailed, ok.Count);
        Assert.Equal(((long)ok.Count, ok.Sum(SqliteWritersWorkload.ValueOf)), CountAndSum("threads-1"));
        Assert.Equal(ok.Count, threads.StoredRows);
    }

    [Fact]
    public async Task One_writer_loses_no_row_under_any_in_process_model()
    {
        var single = LabCatalog.SqliteWriters[1];
        Assert.Equal("sqlite-single", single.Name);
        var results = await LabRunner.RunAsync(new LabOptions { Workload = single, Models = [LabCatalog.Threads, LabCatalog.Async, LabCatalog.Loop], Tasks = Tasks, WorkDirectory = _directory });

        Report(results);
        var expectedSum = Enumerable.Range(0, Tasks).Sum(SqliteWritersWorkload.ValueOf);
        Assert.All(results.Models, m =>
        {
            Assert.Equal("completed", m.Status);
            Assert.Equal(Tasks, m.TasksOk);
            Assert.Equal(0, m.TasksFailed);
            Assert.Equal(Tasks, m.StoredRows);
            Assert.True(m.ThroughputPerSecond > 0);
            Assert.Equal(((long)Tasks, expectedSum), CountAndSum($"{m.Model}-1"));
        });
        Assert.True(results.ResultsAgree, string.Join("; ", results.Disagreements));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    // The before/after table docs/databases.md quotes: failures as results, and throughput.
    private void Report(LabResults results)
    {
        foreach (var m in results.Models)
        {
            output.WriteLine($"{results.Workload,-14} {m.Model,-11} ok {m.TasksOk,4}  failed {m.TasksFailed,4}  stored {m.StoredRows,4}  {m.ThroughputPerSecond,8:F0} tasks/s  first error: {m.Tasks.FirstOrDefault(t => !t.Ok)?.Error ?? "none"}");
        }
    }

    private (long Rows, long Sum) CountAndSum(string session)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, $"sqlite-writers-{session}.db"), Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(sum(value), 0) FROM rows";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
