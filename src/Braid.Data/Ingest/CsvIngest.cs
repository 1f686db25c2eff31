using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Braid.Data.Experiments;
using Braid.Data.Sqlite;
using Braid.Structured;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Braid.Data.Ingest;

/// <summary>
/// A concurrent, resumable CSV ingest (<c>id,name,value</c> lines) into PostgreSQL or SQLite. The file is
/// cut into numbered batches; each batch commits in one transaction together with its row in the
/// progress table, so a batch is either wholly in the table and marked done, or neither. A cancelled or
/// failed run is resumed by running it again: batches marked done are skipped, and nothing is lost or
/// duplicated (docs/design.md rule 154).
/// </summary>
internal static partial class CsvIngest
{
    /// <summary>One numbered batch of parsed rows.</summary>
    internal sealed record Batch(int Number, IReadOnlyList<(long Id, string Name, double Value)> Rows);

    /// <summary>
    /// Ingests <paramref name="csvPath"/> into PostgreSQL with <paramref name="workers"/> concurrent
    /// transactions (each on its own pooled connection: binary COPY of the batch, then its progress row).
    /// </summary>
    /// <param name="connectionString">The server.</param>
    /// <param name="csvPath">The CSV file: a header, then <c>id,name,value</c> lines.</param>
    /// <param name="table">The target table (created with <paramref name="create"/>; otherwise it must exist).</param>
    /// <param name="batchSize">Lines a batch.</param>
    /// <param name="workers">Batches in flight at once.</param>
    /// <param name="create">Create the table if it is missing.</param>
    /// <param name="committed">Called after each batch commits, with its number.</param>
    /// <param name="cancellationToken">Stops the run: in-flight transactions roll back, committed batches stay.</param>
    public static async Task<IngestResult> IntoPostgresAsync(string connectionString, string csvPath, string table, int batchSize, int workers, bool create, Action<int>? committed, CancellationToken cancellationToken)
    {
        CheckTable(table);
        var target = Postgres.PostgresTarget.Parse(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString) { MaxPoolSize = Math.Max(workers, 1) + 1 };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        if (create)
        {
            await Postgres.PostgresExperiments.ExecuteAsync(source, $"CREATE TABLE IF NOT EXISTS {table} (id bigint PRIMARY KEY, name text NOT NULL, value float8 NOT NULL)", cancellationToken).ConfigureAwait(false);
        }

        await Postgres.PostgresExperiments.ExecuteAsync(source, "CREATE TABLE IF NOT EXISTS braid_ingest_progress (ingest text NOT NULL, batch int NOT NULL, rows int NOT NULL, PRIMARY KEY (ingest, batch))", cancellationToken).ConfigureAwait(false);
        await Postgres.PostgresExperiments.ExecuteAsync(source, $"SELECT 1 FROM {table} LIMIT 0", cancellationToken).ConfigureAwait(false); // a missing table fails here, before any work
        var done = new HashSet<int>();
        await using (var command = source.CreateCommand("SELECT batch FROM braid_ingest_progress WHERE ingest = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                done.Add(reader.GetInt32(0));
            }
        }

        var clock = Stopwatch.StartNew();
        long rows = 0;
        var batches = 0;
        var cancelled = await RunAsync(
            ReadBatchesAsync(csvPath, batchSize, done, cancellationToken),
            workers,
            async (batch, token) =>
            {
                await using var connection = await source.OpenConnectionAsync(token).ConfigureAwait(false);
                await using var tx = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
                await using (var copy = await connection.BeginBinaryImportAsync($"COPY {table} (id, name, value) FROM STDIN (FORMAT BINARY)", token).ConfigureAwait(false))
                {
                    foreach (var (id, name, value) in batch.Rows)
                    {
                        await copy.StartRowAsync(token).ConfigureAwait(false);
                        await copy.WriteAsync(id, NpgsqlDbType.Bigint, token).ConfigureAwait(false);
                        await copy.WriteAsync(name, NpgsqlDbType.Text, token).ConfigureAwait(false);
                        await copy.WriteAsync(value, NpgsqlDbType.Double, token).ConfigureAwait(false);
                    }

                    await copy.CompleteAsync(token).ConfigureAwait(false);
                }

                await using (var progress = new NpgsqlCommand("INSERT INTO braid_ingest_progress (ingest, batch, rows) VALUES ($1, $2, $3)", connection, tx))
                {
                    progress.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
                    progress.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Number });
                    progress.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.Rows.Count });
                    await progress.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                // The batch and its progress row commit together; a cancellation before this line rolls both back.
                await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                Interlocked.Add(ref rows, batch.Rows.Count);
                Interlocked.Increment(ref batches);
                committed?.Invoke(batch.Number);
            },
            cancellationToken).ConfigureAwait(false);

        await using var count = source.CreateCommand($"SELECT count(*) FROM {table}");
        var total = (long)(await count.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false))!;
        return new IngestResult(rows, batches, done.Count, total, cancelled, clock.Elapsed);
    }

    /// <summary>
    /// Ingests <paramref name="csvPath"/> into the SQLite database at <paramref name="databasePath"/>:
    /// <paramref name="workers"/> tasks parse and hand batches to one <see cref="SqliteSingleWriter{T}"/>,
    /// which commits each batch with its progress row in one <c>BEGIN IMMEDIATE</c> transaction.
    /// </summary>
    /// <remarks>Only parsing is concurrent: SQLite has one writer, and concurrent writers would only fail busy.</remarks>
    public static async Task<IngestResult> IntoSqliteAsync(string databasePath, string csvPath, string table, int batchSize, int workers, bool create, Action<int>? committed, CancellationToken cancellationToken)
    {
        CheckTable(table);
        var done = new HashSet<int>();
        long rows = 0;
        var batches = 0;
        var clock = Stopwatch.StartNew();
        var writer = OpenWriter(databasePath, connection =>
            {
                Execute(connection, "CREATE TABLE IF NOT EXISTS braid_ingest_progress (ingest TEXT NOT NULL, batch INTEGER NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY (ingest, batch))");
                if (create)
                {
                    Execute(connection, $"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL NOT NULL)");
                }

                try
                {
                    Execute(connection, $"SELECT 1 FROM {table} LIMIT 0");
                }
                catch (SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
                {
                    throw new DataInputException($"missing table: {table} does not exist in {databasePath} (--create makes it)", e);
                }

                using (var read = connection.CreateCommand())
                {
                    read.CommandText = "SELECT batch FROM braid_ingest_progress WHERE ingest = $i";
                    read.Parameters.AddWithValue("$i", table);
                    using var reader = read.ExecuteReader();
                    while (reader.Read())
                    {
                        done.Add(reader.GetInt32(0));
                    }
                }

                var insert = connection.CreateCommand();
                insert.CommandText = $"INSERT INTO {table} (id, name, value) VALUES ($id, $name, $value)";
                var id = insert.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
                var name = insert.Parameters.Add(new SqliteParameter { ParameterName = "$name" });
                var value = insert.Parameters.Add(new SqliteParameter { ParameterName = "$value" });
                var progress = connection.CreateCommand();
                progress.CommandText = "INSERT INTO braid_ingest_progress (ingest, batch, rows) VALUES ($i, $b, $r)";
                var ingest = progress.Parameters.Add(new SqliteParameter { ParameterName = "$i", Value = table });
                var number = progress.Parameters.Add(new SqliteParameter { ParameterName = "$b" });
                var count = progress.Parameters.Add(new SqliteParameter { ParameterName = "$r" });
                return (transaction, items) =>
                {
                    insert.Transaction = transaction;
                    progress.Transaction = transaction;
                    foreach (var batch in items)
                    {
                        foreach (var row in batch.Rows)
                        {
                            id.Value = row.Id;
                            name.Value = row.Name;
                            value.Value = row.Value;
                            insert.ExecuteNonQuery();
                        }

                        number.Value = batch.Number;
                        count.Value = batch.Rows.Count;
                        progress.ExecuteNonQuery();
                        rows += batch.Rows.Count;
                        batches++;
                        committed?.Invoke(batch.Number);
                    }
                };
            },
            Math.Max(workers, 1) * 2);
        bool cancelled;
        await using (writer.ConfigureAwait(false))
        {
            cancelled = await RunAsync(
                ReadBatchesAsync(csvPath, batchSize, done, cancellationToken),
                workers,
                (batch, token) => writer.AddAsync(batch, token).AsTask(),
                cancellationToken).ConfigureAwait(false);

            // What was handed to the writer commits (each batch with its progress row); then count.
            await writer.CompleteAsync().ConfigureAwait(false);
            var total = writer.Query(c =>
            {
                using var command = c.CreateCommand();
                command.CommandText = $"SELECT count(*) FROM {table}";
                return (long)command.ExecuteScalar()!;
            });
            return new IngestResult(rows, batches, done.Count, total, cancelled, clock.Elapsed);
        }
    }

    /// <summary>Writes a CSV of <paramref name="rows"/> seeded rows (<c>id,name,value</c>) for the ingest.</summary>
    public static void WriteSample(string path, int rows, int seed)
    {
        var random = new Random(seed);
        using var writer = new StreamWriter(path);
        writer.WriteLine("id,name,value");
        for (var i = 1; i <= rows; i++)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i},city-{random.Next(1_000_000)},{Math.Round(random.NextDouble() * 1000, 3)}"));
        }
    }

    // Runs the batches through Braid's bounded map (a task group: the first failure cancels the rest,
    // nothing outlives the call). Returns whether the run was cancelled from outside.
    private static async Task<bool> RunAsync(IAsyncEnumerable<Batch> batches, int workers, Func<Batch, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await Concurrent.MapAsync(
                batches,
                Math.Max(workers, 1),
                async (batch, token) =>
                {
                    await work(batch, token).ConfigureAwait(false);
                    return 0;
                },
                cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return true;
        }
        catch (TaskGroupException e) when (e.InnerExceptions.FirstOrDefault(i => i is not OperationCanceledException) is { } first)
        {
            // One failure is the story (a bad line, a lost server); the rest were cancelled by it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;
        }
    }

    // The file's batches in order, skipping those already done; a bad line is a DataInputException naming it.
    private static async IAsyncEnumerable<Batch> ReadBatchesAsync(string csvPath, int batchSize, HashSet<int> done, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        StreamReader reader;
        try
        {
            reader = new StreamReader(csvPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataInputException($"cannot read {csvPath}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}", e);
        }

        using (reader)
        {
            var header = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (header is null || !header.Trim().Equals("id,name,value", StringComparison.OrdinalIgnoreCase))
            {
                throw new DataInputException($"{csvPath}:1: expected the header 'id,name,value'");
            }

            var line = 1;
            var number = 0;
            var inBatch = 0;
            List<(long, string, double)>? rows = null; // null while skipping a batch an earlier run committed
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
            {
                line++;
                if (text.Length == 0)
                {
                    continue;
                }

                if (!done.Contains(number))
                {
                    rows ??= new List<(long, string, double)>(batchSize);
                    rows.Add(Parse(text, csvPath, line));
                }

                if (++inBatch == batchSize)
                {
                    if (rows is not null)
                    {
                        yield return new Batch(number, rows);
                    }

                    number++;
                    inBatch = 0;
                    rows = null;
                }
            }

            if (rows is not null)
            {
                yield return new Batch(number, rows);
            }
        }
    }

    private static (long, string, double) Parse(string text, string path, int line)
    {
        var parts = text.Split(',');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new DataInputException($"{path}:{line}: expected id,name,value (a whole number, text without commas, a number), got '{(text.Length > 60 ? text[..60] + "…" : text)}'");
        }

        return (id, parts[1], value);
    }

    // One transaction a batch (maxBatch 1): a batch and its progress row commit together, and a cancelled
    // run leaves whole batches only. A database that cannot be opened is the user's input.
    private static SqliteSingleWriter<Batch> OpenWriter(string path, Func<SqliteConnection, SqliteBatchWriter<Batch>> prepare, int capacity)
    {
        try
        {
            return new SqliteSingleWriter<Batch>(path, prepare, capacity, maxBatch: 1);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 14 or 26) // SQLITE_CANTOPEN, SQLITE_NOTADB
        {
            throw new DataInputException($"cannot open the SQLite database {path}: {e.Message.Split('\n')[0].Replace("SQLite Error 14: ", "", StringComparison.Ordinal).Replace("SQLite Error 26: ", "", StringComparison.Ordinal)}", e);
        }
    }

    private static void CheckTable(string table)
    {
        if (!TablePattern().IsMatch(table))
        {
            throw new DataInputException($"--table: '{table}' is not a plain table name (lower-case letters, digits, underscores)");
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex TablePattern();
}
