using System.Globalization;
using Braid.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace Braid.Lab.Workloads;

/// <summary>
/// SQLite written by many tasks at once, before and after (docs/design.md rules 88 and 151): task i stores
/// row i (value 3i + 1). The naive form (<c>sqlite-naive</c>) opens its own connection per task and writes
/// in a deferred transaction that reads first, with a 1 s busy timeout: under a concurrent model some tasks
/// fail with "database is locked", and each such failure is the task's outcome (rule 87), not a crash. The
/// single-writer form (<c>sqlite-single</c>) hands the row to one <see cref="SqliteSingleWriter{T}"/> per
/// model run, which commits batches in <c>BEGIN IMMEDIATE</c> transactions: no task can fail that way. Both
/// forms report the rows stored, which the lab checks against the tasks that succeeded.
/// </summary>
/// <remarks>
/// One class, two catalog entries (rule 105): the only difference is how a task writes, so the lab's
/// report of the two shows the failures and the throughput side by side under the same models. The
/// processes model is not offered: the workload is not a built-in work function of the worker processes.
/// </remarks>
internal sealed class SqliteWritersWorkload : LabWorkload
{
    private readonly bool _singleWriter;

    public SqliteWritersWorkload(bool singleWriter)
        : base(singleWriter ? "sqlite-single" : "sqlite-naive",
            singleWriter ? "SQLite rows through one writer (after)" : "SQLite rows, a connection per task (before: database is locked)")
    {
        _singleWriter = singleWriter;
    }

    /// <summary>The value task <paramref name="index"/> stores, so sums can check what was kept.</summary>
    public static long ValueOf(int index) => (3L * index) + 1;

    public override Task<LabFixture> StartAsync(LabOptions options, string workDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workDirectory);
        return Task.FromResult<LabFixture>(new Fixture(_singleWriter, workDirectory));
    }

    private static string Outcome(int index) => string.Create(CultureInfo.InvariantCulture, $"row {index}={ValueOf(index)}");

    private static void CreateTable(SqliteConnection connection)
    {
        using var create = connection.CreateCommand();
        create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);";
        create.ExecuteNonQuery();
    }

    private static (long Rows, long Sum) CountAndSum(SqliteConnection connection)
    {
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*), coalesce(sum(value), 0) FROM rows";
        using var reader = count.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private sealed class Fixture(bool singleWriter, string directory) : LabFixture
    {
        public override LabSession OpenSession(string name)
        {
            var path = Path.Combine(directory, $"sqlite-writers-{name}.db");
            if (File.Exists(path))
            {
                throw new InvalidOperationException($"the store {path} already exists (design rule 85: never appended to)");
            }

            return singleWriter ? new SingleSession(path) : new NaiveSession(path);
        }
    }

    /// <summary>Before: every task opens its own connection and writes, as a naive concurrent program does.</summary>
    private sealed class NaiveSession : LabSession
    {
        private readonly string _connectionString;

        public NaiveSession(string path)
        {
            _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 1 }.ToString();
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            CreateTable(connection);
        }

        public override TaskOutcome Run(int index, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var connection = new SqliteConnection(_connectionString);
                connection.Open();

                // Deferred (SQLite's default BEGIN): the read takes a snapshot, the insert must then upgrade
                // to the write lock, which fails busy in WAL mode if another task committed in between.
                using var transaction = connection.BeginTransaction(deferred: true);
                using var read = connection.CreateCommand();
                read.Transaction = transaction;
                read.CommandText = "SELECT count(*) FROM rows";
                read.ExecuteScalar();
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO rows (id, value) VALUES ($id, $value)";
                insert.Parameters.AddWithValue("$id", index);
                insert.Parameters.AddWithValue("$value", ValueOf(index));
                insert.ExecuteNonQuery();
                transaction.Commit();
                return TaskOutcome.Success(Outcome(index));
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6) // SQLITE_BUSY, SQLITE_LOCKED
            {
                return TaskOutcome.Failure(string.Create(CultureInfo.InvariantCulture, $"SQLite error {e.SqliteErrorCode} (extended {e.SqliteExtendedErrorCode}): {e.Message.Split('\n')[0]}"));
            }
        }

        // Microsoft.Data.Sqlite's async calls complete synchronously (rule 151): the async form is the same
        // blocking work, which is the point of the comparison.
        public override ValueTask<TaskOutcome> RunAsync(int index, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Run(index, cancellationToken));

        public override Task<long?> CompleteAsync() => Task.FromResult<long?>(StoredRows());

        // Synchronous on purpose: the async forms would run synchronously too (rule 151).
        private long StoredRows()
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return CountAndSum(connection).Rows;
        }
    }

    /// <summary>After: tasks hand their row to one writer; none of them ever holds SQLite's write lock.</summary>
    private sealed class SingleSession(string path) : LabSession
    {
        private readonly SqliteSingleWriter<int> _writer = new(path, connection =>
        {
            CreateTable(connection);
            return (transaction, batch) =>
            {
                using var insert = transaction.Connection!.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO rows (id, value) VALUES ($id, $value)";
                var id = insert.Parameters.Add("$id", SqliteType.Integer);
                var value = insert.Parameters.Add("$value", SqliteType.Integer);
                foreach (var index in batch)
                {
                    id.Value = index;
                    value.Value = ValueOf(index);
                    insert.ExecuteNonQuery();
                }
            };
        });

        public override TaskOutcome Run(int index, CancellationToken cancellationToken)
        {
            _writer.Add(index, cancellationToken);
            return TaskOutcome.Success(Outcome(index));
        }

        public override async ValueTask<TaskOutcome> RunAsync(int index, CancellationToken cancellationToken)
        {
            await _writer.AddAsync(index, cancellationToken);
            return TaskOutcome.Success(Outcome(index));
        }

        public override async Task<long?> CompleteAsync()
        {
            await _writer.CompleteAsync();
            return _writer.Query(c => CountAndSum(c).Rows);
        }

        public override async ValueTask DisposeAsync()
        {
            await _writer.DisposeAsync();
            GC.SuppressFinalize(this);
        }
    }
}
