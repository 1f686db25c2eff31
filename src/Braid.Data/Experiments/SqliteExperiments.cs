using System.Diagnostics;
using Braid.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace Braid.Data.Experiments;

/// <summary>
/// <c>braid db sqlite</c>: Microsoft.Data.Sqlite's async calls measured (they run synchronously on the
/// caller's thread), "database is locked" reproduced with concurrent writers, and the single writer
/// (<see cref="SqliteSingleWriter{T}"/>) doing the same work without a failure (docs/databases.md).
/// </summary>
internal static class SqliteExperiments
{
    // About 50 ms of SQLite work on an idle machine: a recursive count, no I/O.
    internal const string SlowQuery = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT sum(x) FROM c";

    /// <summary>Runs every SQLite experiment in <paramref name="directory"/> (fresh databases, removed after).</summary>
    public static async Task<DataReport> RunAsync(string directory, int writers, int rowsPerWriter, CancellationToken cancellationToken)
    {
        var cases = new List<DataCase>();
        var notes = new List<string>();
        var sync = MeasureAsyncCalls(Path.Combine(directory, "async.db"), queries: 8);
        cases.Add(new DataCase("8 ExecuteScalarAsync started together", [
            new Metric("completed synchronously", sync.CompletedSynchronously, "of 8"),
            new Metric("ran on the caller's thread", sync.OnCallerThread, "of 8"),
            new Metric("elapsed", sync.Elapsed.TotalMilliseconds, "ms"),
            new Metric("one query", sync.One.TotalMilliseconds, "ms"),
        ]));
        notes.Add($"Starting 8 'async' queries together took {sync.Elapsed.TotalMilliseconds:F0} ms, {sync.Elapsed / sync.One:F1}x one query: each call ran to the end before returning its task, on the caller's thread.");

        var naive = await ConcurrentWritersAsync(Path.Combine(directory, "naive.db"), writers, rowsPerWriter, cancellationToken).ConfigureAwait(false);
        cases.Add(new DataCase($"{writers} writers, own connections, deferred transactions", [
            new Metric("rows", naive.Rows, "rows"),
            new Metric("failed", naive.Failed, "transactions"),
            new Metric("elapsed", naive.Elapsed.TotalMilliseconds, "ms"),
        ]));
        if (naive.FirstError is { } error)
        {
            notes.Add($"First failure: {error}");
        }

        var single = await SingleWriterAsync(Path.Combine(directory, "single.db"), writers, rowsPerWriter, cancellationToken).ConfigureAwait(false);
        cases.Add(new DataCase($"{writers} producers, one writer (channel, WAL, BEGIN IMMEDIATE batches)", [
            new Metric("rows", single.Rows, "rows"),
            new Metric("failed", single.Failed, "transactions"),
            new Metric("elapsed", single.Elapsed.TotalMilliseconds, "ms"),
        ]));
        return new DataReport(
            "sqlite",
            "SQLite, fresh databases in a temporary folder",
            new Dictionary<string, string>
            {
                ["journal_mode"] = "wal",
                ["synchronous"] = "NORMAL",
                ["busy timeout (Default Timeout)"] = "1 s",
                ["SQLite"] = SqliteVersion(),
            },
            cases,
            notes);
    }

    /// <summary>What <see cref="MeasureAsyncCalls"/> saw.</summary>
    internal readonly record struct AsyncCalls(int CompletedSynchronously, int OnCallerThread, TimeSpan One, TimeSpan Elapsed);

    /// <summary>
    /// Starts <paramref name="queries"/> <c>ExecuteScalarAsync</c> calls "together" (without awaiting in
    /// between) and records, for each, whether its task was already complete when the call returned and
    /// on which thread SQLite ran it (a function registered on the connection reports the thread).
    /// </summary>
    public static AsyncCalls MeasureAsyncCalls(string path, int queries)
    {
        var caller = Environment.CurrentManagedThreadId;
        var connections = new List<SqliteConnection>();
        try
        {
            var threads = new int[queries];
            var commands = new List<SqliteCommand>();
            for (var i = 0; i < queries; i++)
            {
                var connection = new SqliteConnection($"Data Source={path};Pooling=False");
                connection.Open();
                var slot = i;
                connection.CreateFunction("braid_thread", () => threads[slot] = Environment.CurrentManagedThreadId);
                connections.Add(connection);
                var command = connection.CreateCommand();
                command.CommandText = $"SELECT braid_thread() + ({SlowQuery}) * 0";
                commands.Add(command);
            }

            var one = new Stopwatch();
            using (var warm = connections[0].CreateCommand())
            {
                warm.CommandText = SlowQuery;
                warm.ExecuteScalar(); // the first run warms SQLite and the JIT; the second is timed
                one.Start();
                warm.ExecuteScalar();
                one.Stop();
            }

            var clock = Stopwatch.StartNew();
            var tasks = commands.Select(c => c.ExecuteScalarAsync()).ToList(); // "concurrently"
            var completed = tasks.Count(t => t.IsCompleted);
            clock.Stop();
            foreach (var command in commands)
            {
                command.Dispose();
            }

            return new AsyncCalls(completed, threads.Count(t => t == caller), one.Elapsed, clock.Elapsed);
        }
        finally
        {
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>What a concurrent-writers run did.</summary>
    internal readonly record struct WriteRun(long Rows, long Failed, TimeSpan Elapsed, string? FirstError);

    /// <summary>
    /// <paramref name="writers"/> threads, each with its own connection (busy timeout 1 s), each row in a
    /// deferred transaction that reads (the next id for this writer) and then writes: the upgrade from
    /// read to write fails busy when another writer committed in between, and a held write lock makes
    /// the others wait up to the timeout and then fail. A failed transaction is counted, not retried.
    /// </summary>
    public static async Task<WriteRun> ConcurrentWritersAsync(string path, int writers, int rowsPerWriter, CancellationToken cancellationToken)
    {
        CreateRowsTable(path);
        long failed = 0;
        string? first = null;
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, writers).Select(w => Task.Factory.StartNew(
            () =>
            {
                using var connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=1");
                connection.Open();
                for (var i = 0; i < rowsPerWriter && !cancellationToken.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var transaction = connection.BeginTransaction(deferred: true);
                        using var read = connection.CreateCommand();
                        read.Transaction = transaction;
                        read.CommandText = "SELECT count(*) FROM rows WHERE writer = $w";
                        read.Parameters.AddWithValue("$w", w);
                        var next = (long)read.ExecuteScalar()!;
                        using var insert = connection.CreateCommand();
                        insert.Transaction = transaction;
                        insert.CommandText = "INSERT INTO rows (writer, n) VALUES ($w, $n)";
                        insert.Parameters.AddWithValue("$w", w);
                        insert.Parameters.AddWithValue("$n", next);
                        insert.ExecuteNonQuery();
                        transaction.Commit();
                    }
                    catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6) // SQLITE_BUSY, SQLITE_LOCKED
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref first, $"SQLite error {e.SqliteErrorCode} (extended {e.SqliteExtendedErrorCode}): {e.Message.Split('\n')[0]}", null);
                    }
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToList();
        await Task.WhenAll(threads).ConfigureAwait(false);
        clock.Stop();
        return new WriteRun(CountRows(path), failed, clock.Elapsed, first);
    }

    /// <summary>The same rows from <paramref name="producers"/> concurrent producers through one <see cref="SqliteSingleWriter{T}"/>.</summary>
    public static async Task<WriteRun> SingleWriterAsync(string path, int producers, int rowsPerProducer, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var writer = new SqliteSingleWriter<(int Writer, int N)>(path, connection =>
        {
            using (var create = connection.CreateCommand())
            {
                create.CommandText = "CREATE TABLE rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, n INTEGER NOT NULL)";
                create.ExecuteNonQuery();
            }

            var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO rows (writer, n) VALUES ($w, $n)";
            var w = insert.Parameters.Add(new SqliteParameter { ParameterName = "$w" });
            var n = insert.Parameters.Add(new SqliteParameter { ParameterName = "$n" });
            return (transaction, batch) =>
            {
                insert.Transaction = transaction;
                foreach (var row in batch)
                {
                    w.Value = row.Writer;
                    n.Value = row.N;
                    insert.ExecuteNonQuery();
                }
            };
        });
        await using (writer.ConfigureAwait(false))
        {
            await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(
                async () =>
                {
                    for (var i = 0; i < rowsPerProducer; i++)
                    {
                        await writer.AddAsync((p, i), cancellationToken).ConfigureAwait(false);
                    }
                },
                cancellationToken))).ConfigureAwait(false);
            await writer.CompleteAsync().ConfigureAwait(false);
        }

        clock.Stop();
        return new WriteRun(CountRows(path), 0, clock.Elapsed, null);
    }

    private static void CreateRowsTable(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, n INTEGER NOT NULL)";
        command.ExecuteNonQuery();
    }

    private static long CountRows(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM rows";
        return (long)command.ExecuteScalar()!;
    }

    private static string SqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        return connection.ServerVersion;
    }
}
