using Braid.Data.Experiments;
using Microsoft.Data.Sqlite;

namespace Braid.Data.Tests.Sqlite;

/// <summary>What Microsoft.Data.Sqlite really does with async calls and concurrent writers (docs/databases.md).</summary>
public sealed class SqliteHonestyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("braid-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Async_calls_complete_synchronously_on_the_callers_thread()
    {
        var seen = SqliteExperiments.MeasureAsyncCalls(Path.Combine(_dir, "a.db"), queries: 4);
        Assert.Equal(4, seen.CompletedSynchronously); // every task was complete when its call returned
        Assert.Equal(4, seen.OnCallerThread);         // and SQLite ran it on the thread that called
    }

    [Fact]
    public async Task OpenAsync_and_ExecuteNonQueryAsync_return_completed_tasks()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "b.db")};Pooling=False");
        var open = connection.OpenAsync();
        Assert.True(open.IsCompleted);
        await open;
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteExperiments.SlowQuery;
        var thread = Environment.CurrentManagedThreadId;
        var running = command.ExecuteScalarAsync();
        Assert.True(running.IsCompletedSuccessfully);
        Assert.Equal(thread, Environment.CurrentManagedThreadId);
        Assert.Equal(200000L * 200001 / 2, (long)(await running)!);
    }

    [Fact]
    public void A_deferred_transaction_that_read_before_another_commit_cannot_write_whatever_the_timeout()
    {
        var path = Path.Combine(_dir, "c.db");
        using var setup = Open(path, timeoutSeconds: 1);
        Execute(setup, "PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER)");
        using var other = Open(path, timeoutSeconds: 1);

        using var reader = Open(path, timeoutSeconds: 1);
        using var transaction = reader.BeginTransaction(deferred: true);
        using (var read = reader.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT count(*) FROM t";
            Assert.Equal(0L, (long)read.ExecuteScalar()!); // the read snapshot starts here
        }

        Execute(other, "INSERT INTO t VALUES (1)"); // another writer commits: the snapshot is stale
        using var write = reader.CreateCommand();
        write.Transaction = transaction;
        write.CommandText = "INSERT INTO t VALUES (2)";
        var error = Assert.Throws<SqliteException>(() => write.ExecuteNonQuery());
        Assert.Equal(5, error.SqliteErrorCode);              // SQLITE_BUSY
        Assert.Equal(517, error.SqliteExtendedErrorCode);    // SQLITE_BUSY_SNAPSHOT: waiting cannot help
        Assert.Contains("database is locked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_held_write_lock_fails_other_writers_after_the_busy_timeout()
    {
        var path = Path.Combine(_dir, "d.db");
        using var holder = Open(path, timeoutSeconds: 1);
        Execute(holder, "PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER)");
        using var transaction = holder.BeginTransaction(); // BEGIN IMMEDIATE: holds the write lock
        using var waiter = Open(path, timeoutSeconds: 1);
        var error = Assert.Throws<SqliteException>(() => Execute(waiter, "INSERT INTO t VALUES (1)"));
        Assert.Equal(5, error.SqliteErrorCode);
        Assert.Contains("database is locked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_writers_account_for_every_row_and_the_single_writer_loses_none()
    {
        const int Writers = 4, Rows = 25;
        var naive = await SqliteExperiments.ConcurrentWritersAsync(Path.Combine(_dir, "e.db"), Writers, Rows, CancellationToken.None);
        Assert.Equal(Writers * Rows, naive.Rows + naive.Failed); // each transaction committed or failed busy

        var single = await SqliteExperiments.SingleWriterAsync(Path.Combine(_dir, "f.db"), Writers, Rows, CancellationToken.None);
        Assert.Equal(Writers * Rows, single.Rows);
    }

    private static SqliteConnection Open(string path, int timeoutSeconds)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout={timeoutSeconds}");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
