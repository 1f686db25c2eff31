using System.Collections.Concurrent;
using System.Globalization;
using Braid.Data.Sqlite;
using Braid.Lab.Models;
using Microsoft.Data.Sqlite;

namespace Braid.Lab.Workloads;

/// <summary>
/// SQLite written by many tasks at once, before and after (docs/design.md rules 88, 151 and 157): task i stores
/// row i (value 3i + 1). The naive form (<c>sqlite-naive</c>) opens its own connection per task and writes
/// in a deferred transaction that reads first, with a 1 s busy timeout: under a concurrent model some tasks
/// fail with "database is locked", and each such failure is the task's outcome (rule 87), not a crash. The
/// single-writer form (<c>sqlite-single</c>) hands the row to one <see cref="SqliteSingleWriter{T}"/> per
/// model run, which commits batches in <c>BEGIN IMMEDIATE</c> transactions: no task can fail that way. Both
/// forms count the rows in the file, and check that it holds exactly the rows of the tasks that succeeded.
/// </summary>
/// <remarks>
/// One class, two catalog entries (rule 105): the only difference is how a task writes, so the lab's
/// report of the two shows the failures and the throughput under the same models. The processes model runs
/// the naive form honestly (every worker process opens the run's one file, and SQLite's file locks are
/// between processes) and refuses the single writer, which lives in one process: N worker processes would be
/// N writers on one file, the naive problem again.
/// </remarks>
internal sealed class SqliteWritersWorkload : LabWorkload
{
    /// <summary>The error text every lock failure carries, whatever its extended code.</summary>
    public const string Locked = "database is locked";

    private readonly bool _singleWriter;

    public SqliteWritersWorkload(bool singleWriter)
        : base(singleWriter ? "sqlite-single" : "sqlite-naive",
            singleWriter ? "SQLite rows through one writer: after" : "SQLite rows, a connection per task: before, database is locked")
    {
        _singleWriter = singleWriter;
    }

    /// <summary>The value task <paramref name="index"/> stores, so sums can check what was kept.</summary>
    public static long ValueOf(int index) => (3L * index) + 1;

    /// <summary>The database file of model run <paramref name="runName"/> (such as <c>threads-1</c>) in <paramref name="directory"/>.</summary>
    public static string PathOf(string directory, string runName) => Path.Combine(directory, $"sqlite-writers-{runName}.db");

    public override Task<LabFixture> StartAsync(LabOptions options, string workDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workDirectory);
        return Task.FromResult<LabFixture>(new Fixture(this, workDirectory));
    }

    internal override string? CannotRunIn(LabModel model) => model.RunsOutOfProcess && _singleWriter
        ? $"the {model.Name} model cannot run {Name}: its one writer lives in one process, and {model.Name} would make one writer per worker process on the same file (the {LabCatalog.SqliteNaive.Name} problem again); run {LabCatalog.SqliteNaive.Name} under {model.Name} instead"
        : null;

    /// <summary>In a worker: the naive session on the file the parent created for the run, counting the rows of this worker's block.</summary>
    internal override LabSession OpenWorkerSession(WorkerJob job) =>
        !_singleWriter && job.Spec.DatabasePath is { } path && job.Indices.Length > 0
            ? new NaiveSession(path, create: false, job.Indices.Min(), job.Indices.Max())
            : base.OpenWorkerSession(job);

    private static string Outcome(int index) => string.Create(CultureInfo.InvariantCulture, $"row {index}={ValueOf(index)}");

    private static void CreateTable(SqliteConnection connection)
    {
        using var create = connection.CreateCommand();
        create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, value INTEGER NOT NULL);";
        create.ExecuteNonQuery();
    }

    /// <summary>
    /// Counts the rows with ids in [<paramref name="first"/>, <paramref name="last"/>] and checks them against
    /// the tasks that succeeded: the file must hold exactly their rows, with their values. A row lost or one
    /// written by a task that reported a failure makes the run fail (rule 152), instead of being a number.
    /// </summary>
    private static long CountAndCheck(SqliteConnection connection, int first, int last, IReadOnlyCollection<int> succeeded)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, value FROM rows WHERE id BETWEEN $first AND $last ORDER BY id";
        command.Parameters.AddWithValue("$first", first);
        command.Parameters.AddWithValue("$last", last);
        var stored = new HashSet<int>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var id = reader.GetInt32(0);
                if (reader.GetInt64(1) != ValueOf(id))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"row {id} holds {reader.GetInt64(1)}, not {ValueOf(id)}"));
                }

                stored.Add(id);
            }
        }

        var ok = succeeded.ToHashSet();
        if (!stored.SetEquals(ok))
        {
            var lost = ok.Except(stored).Order().Take(3);
            var unexpected = stored.Except(ok).Order().Take(3);
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"the file holds {stored.Count} rows for {ok.Count} tasks that succeeded (lost: {string.Join(", ", lost)}; written by a task that failed: {string.Join(", ", unexpected)})"));
        }

        return stored.Count;
    }

    private sealed class Fixture(SqliteWritersWorkload workload, string directory) : LabFixture
    {
        public override LabSession OpenSession(string name) =>
            workload._singleWriter ? new SingleSession(FreshPath(name)) : new NaiveSession(FreshPath(name), create: true, 0, int.MaxValue);

        /// <summary>A lock error depends on timing, not on the task: it is what the naive form shows.</summary>
        internal override bool FailsByChance(string value) => !workload._singleWriter && value.Contains(Locked, StringComparison.Ordinal);

        /// <summary>The run's one file, created here so that the workers only write to it.</summary>
        internal override WorkloadSpec? WorkerSpec(string runName)
        {
            if (workload._singleWriter)
            {
                return null;
            }

            var path = FreshPath(runName);
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
            {
                connection.Open();
                CreateTable(connection);
            }

            return new WorkloadSpec { Workload = workload.Name, Tasks = 0, CpuSize = 0, DatabasePath = path, WorkDirectory = directory };
        }

        private string FreshPath(string name)
        {
            var path = PathOf(directory, name);
            return File.Exists(path)
                ? throw new InvalidOperationException($"the store {path} already exists (design rule 85: never appended to)")
                : path;
        }
    }

    /// <summary>Before: every task opens its own connection and writes, as a naive concurrent program does.</summary>
    private sealed class NaiveSession : LabSession
    {
        private readonly string _connectionString;
        private readonly int _first;
        private readonly int _last;
        private readonly ConcurrentBag<int> _succeeded = [];

        public NaiveSession(string path, bool create, int first, int last)
        {
            _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 1 }.ToString();
            _first = first;
            _last = last;
            if (create)
            {
                using var connection = new SqliteConnection(_connectionString);
                connection.Open();
                CreateTable(connection);
            }
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
                _succeeded.Add(index);
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

        // Synchronous on purpose: the async forms would run synchronously too (rule 151).
        public override Task<long?> CompleteAsync() => Task.FromResult<long?>(StoredRows());

        private long StoredRows()
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return CountAndCheck(connection, _first, _last, _succeeded);
        }
    }

    /// <summary>After: tasks hand their row to one writer; none of them ever holds SQLite's write lock.</summary>
    private sealed class SingleSession(string path) : LabSession
    {
        private readonly ConcurrentBag<int> _succeeded = [];

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
            _succeeded.Add(index);
            return TaskOutcome.Success(Outcome(index));
        }

        public override async ValueTask<TaskOutcome> RunAsync(int index, CancellationToken cancellationToken)
        {
            await _writer.AddAsync(index, cancellationToken);
            _succeeded.Add(index);
            return TaskOutcome.Success(Outcome(index));
        }

        public override async Task<long?> CompleteAsync()
        {
            await _writer.CompleteAsync();
            return _writer.Query(c => CountAndCheck(c, 0, int.MaxValue, _succeeded));
        }

        public override async ValueTask DisposeAsync()
        {
            await _writer.DisposeAsync();
            GC.SuppressFinalize(this);
        }
    }
}
