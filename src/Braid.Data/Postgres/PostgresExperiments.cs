using System.Diagnostics;
using System.Globalization;
using Braid.Data.Experiments;
using Npgsql;
using NpgsqlTypes;

namespace Braid.Data.Postgres;

/// <summary>
/// The <c>braid db</c> experiments on a real PostgreSQL server (docs/databases.md): connections (fresh,
/// pooled, multiplexed), bulk inserts (row by row, batched, binary COPY), fetching (all at once, keyset
/// pages, streamed) and the pool's limit. Each checks its own work (row counts and sums) and returns a
/// <see cref="DataReport"/>. Tables it creates have a random suffix and are dropped on the way out.
/// </summary>
internal static class PostgresExperiments
{
    /// <summary>The settings that decide these numbers: durability (fsync, synchronous_commit), the server's version and limits.</summary>
    public static async Task<Dictionary<string, string>> SettingsAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>();
        await using var command = source.CreateCommand(
            "SELECT name, setting || coalesce(' ' || unit, '') FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'max_connections', 'shared_buffers') ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            settings[reader.GetString(0)] = reader.GetString(1);
        }

        settings["Npgsql"] = typeof(NpgsqlConnection).Assembly.GetName().Version!.ToString(3);
        return settings;
    }

    /// <summary>
    /// <paramref name="queries"/> short queries (<c>SELECT $1</c>) on fresh connections, from a pool and
    /// multiplexed, each sequentially and with <paramref name="concurrency"/> at once. The sum of the
    /// answers checks that every query ran once; the distinct backend pids show how many server
    /// connections each way used.
    /// </summary>
    public static async Task<DataReport> ConnectionsAsync(string connectionString, int queries, int concurrency, CancellationToken cancellationToken)
    {
        var target = PostgresTarget.Parse(connectionString);
        var cases = new List<DataCase>();
        Dictionary<string, string> settings;
        await using (var plain = NpgsqlDataSource.Create(target.ConnectionString))
        {
            settings = await SettingsAsync(plain, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (mode, configure) in new (string, Action<NpgsqlConnectionStringBuilder>)[]
        {
            ("fresh connection per query", b => b.Pooling = false),
            ("pool", b => { b.Pooling = true; b.MaxPoolSize = concurrency; }),
            ("multiplexing", b => { b.Pooling = true; b.Multiplexing = true; b.MaxPoolSize = concurrency; }),
        })
        {
            var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString);
            configure(builder);
            await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
            var multiplexing = builder.Multiplexing;
            await QueryAsync(source, multiplexing, -1, cancellationToken).ConfigureAwait(false); // a warm-up outside the clock
            foreach (var parallel in new[] { 1, concurrency })
            {
                var pids = new System.Collections.Concurrent.ConcurrentDictionary<int, byte>();
                long sum = 0;
                var clock = Stopwatch.StartNew();
                await Parallel.ForEachAsync(
                    Enumerable.Range(1, queries),
                    new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken },
                    async (i, token) =>
                    {
                        var (value, pid) = await QueryAsync(source, multiplexing, i, token).ConfigureAwait(false);
                        Interlocked.Add(ref sum, value);
                        pids.TryAdd(pid, 0);
                    }).ConfigureAwait(false);
                clock.Stop();
                cases.Add(new DataCase($"{mode}, {(parallel == 1 ? "sequential" : $"{parallel} at once")}", [
                    new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
                    new Metric("queries/s", queries / clock.Elapsed.TotalSeconds, "/s"),
                    new Metric("server connections", pids.Count, "pids"),
                    new Metric("sum", sum, ""),
                ]));
            }
        }

        return new DataReport("connections", PostgresTarget.Mask(connectionString), settings, cases, [
            $"{queries} queries 'SELECT $1, pg_backend_pid()' each way; the sum of the answers is {(long)queries * (queries + 1) / 2} when every query ran once.",
            "Multiplexing is experimental in Npgsql 10 and removed in Npgsql 11: Braid pins Npgsql 10.x (docs/design.md rule 153).",
        ]);
    }

    private static async Task<(int Value, int Pid)> QueryAsync(NpgsqlDataSource source, bool multiplexing, int value, CancellationToken cancellationToken)
    {
        if (multiplexing)
        {
            // With multiplexing, commands from the data source share physical connections between callers.
            await using var shared = source.CreateCommand("SELECT $1, pg_backend_pid()");
            shared.Parameters.Add(new NpgsqlParameter<int> { TypedValue = value });
            return await ReadPairAsync(shared, cancellationToken).ConfigureAwait(false);
        }

        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT $1, pg_backend_pid()", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = value });
        return await ReadPairAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(int, int)> ReadPairAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    /// <summary>
    /// Inserts <paramref name="rows"/> rows (id, name, value) four ways into a logged table: row by row
    /// with a commit per row, row by row in one transaction, batched INSERTs (unnest of 1,000-element
    /// arrays, one transaction) and binary COPY. Each is checked by count and sums.
    /// </summary>
    public static async Task<DataReport> BulkAsync(string connectionString, int rows, CancellationToken cancellationToken)
    {
        var target = PostgresTarget.Parse(connectionString);
        await using var source = NpgsqlDataSource.Create(target.ConnectionString);
        var settings = await SettingsAsync(source, cancellationToken).ConfigureAwait(false);
        var table = TableName("braid_bulk");
        await ExecuteAsync(source, $"CREATE TABLE {table} (id int PRIMARY KEY, name text NOT NULL, value float8 NOT NULL)", cancellationToken).ConfigureAwait(false);
        var cases = new List<DataCase>();
        try
        {
            foreach (var (name, insert) in new (string, Func<NpgsqlConnection, Task>)[]
            {
                ("row by row, a commit per row", c => RowByRowAsync(c, table, rows, transaction: false, cancellationToken)),
                ("row by row, one transaction", c => RowByRowAsync(c, table, rows, transaction: true, cancellationToken)),
                ("batched INSERT (unnest, 1,000 rows a statement), one transaction", c => BatchedAsync(c, table, rows, 1000, cancellationToken)),
                ("binary COPY", c => CopyAsync(c, table, rows, cancellationToken)),
            })
            {
                await ExecuteAsync(source, $"TRUNCATE {table}", cancellationToken).ConfigureAwait(false);
                await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                var clock = Stopwatch.StartNew();
                await insert(connection).ConfigureAwait(false);
                clock.Stop();
                var (count, idSum, valueSum) = await CheckAsync(connection, table, cancellationToken).ConfigureAwait(false);
                cases.Add(new DataCase(name, [
                    new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
                    new Metric("rows/s", rows / clock.Elapsed.TotalSeconds, "/s"),
                    new Metric("rows", count, "rows"),
                    new Metric("sum id", idSum, ""),
                    new Metric("sum value", valueSum, ""),
                ]));
            }
        }
        finally
        {
            await ExecuteAsync(source, $"DROP TABLE IF EXISTS {table}", CancellationToken.None).ConfigureAwait(false);
        }

        return new DataReport("bulk", PostgresTarget.Mask(connectionString), settings, cases, [
            $"{rows} rows (id, 'name-' || id, id * 0.5) each way into a logged table; expected sum id {(long)rows * (rows + 1) / 2}.",
            "A commit per row waits for the WAL flush per row (fsync on, synchronous_commit on); the other ways commit once.",
        ]);
    }

    private static async Task RowByRowAsync(NpgsqlConnection connection, string table, int rows, bool transaction, CancellationToken cancellationToken)
    {
        await using var tx = transaction ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
        await using var command = new NpgsqlCommand($"INSERT INTO {table} (id, name, value) VALUES ($1, $2, $3)", connection, tx);
        var id = new NpgsqlParameter<int>();
        var name = new NpgsqlParameter<string>();
        var value = new NpgsqlParameter<double>();
        command.Parameters.Add(id);
        command.Parameters.Add(name);
        command.Parameters.Add(value);
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 1; i <= rows; i++)
        {
            id.TypedValue = i;
            name.TypedValue = Name(i);
            value.TypedValue = i * 0.5;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (tx is not null)
        {
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task BatchedAsync(NpgsqlConnection connection, string table, int rows, int batch, CancellationToken cancellationToken)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"INSERT INTO {table} (id, name, value) SELECT * FROM unnest($1::int[], $2::text[], $3::float8[])", connection, tx);
        for (var start = 1; start <= rows; start += batch)
        {
            var n = Math.Min(batch, rows - start + 1);
            var ids = new int[n];
            var names = new string[n];
            var values = new double[n];
            for (var k = 0; k < n; k++)
            {
                ids[k] = start + k;
                names[k] = Name(start + k);
                values[k] = (start + k) * 0.5;
            }

            command.Parameters.Clear();
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = ids });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
            command.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = values });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, int rows, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {table} (id, name, value) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        for (var i = 1; i <= rows; i++)
        {
            await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(Name(i), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(i * 0.5, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
        }

        await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(long Count, long IdSum, double ValueSum)> CheckAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*), coalesce(sum(id), 0)::bigint, coalesce(sum(value), 0) FROM {table}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2));
    }

    /// <summary>One fetched row.</summary>
    internal sealed record FetchedRow(long Id, string Name, double Value, string Padding);

    /// <summary>
    /// Fetches <paramref name="rows"/> rows (with 100 characters of padding each) three ways: all at once
    /// into a list, keyset pages of <paramref name="pageSize"/> (<c>WHERE id &gt; last ORDER BY id LIMIT n</c>)
    /// and streamed from one reader. Time to first row, total time and the live managed heap's peak growth
    /// for each; count and sum check the rows. The live heap is read at <see cref="FetchCheckpoints"/> evenly
    /// spaced rows, each just after a forced, blocking gen1 collection, so that short-lived garbage (which a
    /// plain <c>GC.GetTotalMemory(false)</c> counts) is gone and only what the form holds on to remains; the
    /// same number of checkpoints at every size keeps the collections' cost the same.
    /// </summary>
    public static async Task<DataReport> FetchAsync(string connectionString, int rows, int pageSize, CancellationToken cancellationToken)
    {
        var target = PostgresTarget.Parse(connectionString);
        await using var source = NpgsqlDataSource.Create(target.ConnectionString);
        var settings = await SettingsAsync(source, cancellationToken).ConfigureAwait(false);
        var table = TableName("braid_fetch");
        await ExecuteAsync(source, $"CREATE TABLE {table} (id bigint PRIMARY KEY, name text NOT NULL, value float8 NOT NULL, padding text NOT NULL)", cancellationToken).ConfigureAwait(false);
        var cases = new List<DataCase>();
        try
        {
            await ExecuteAsync(source, $"INSERT INTO {table} SELECT i, 'name-' || i, i * 0.5, repeat('x', 100) FROM generate_series(1, {rows}) i", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(source, $"VACUUM ANALYZE {table}", cancellationToken).ConfigureAwait(false);
            var select = $"SELECT id, name, value, padding FROM {table}";
            foreach (var (name, fetch) in new (string, Func<NpgsqlConnection, Func<FetchedRow, bool>, Task>)[]
            {
                ("all at once (a list)", async (c, visit) =>
                {
                    var all = new List<FetchedRow>();
                    await ReadRowsAsync(c, $"{select} ORDER BY id", null, all.Add, cancellationToken).ConfigureAwait(false);
                    foreach (var row in all)
                    {
                        visit(row);
                    }
                }),
                ($"keyset pages of {pageSize}", async (c, visit) =>
                {
                    var last = 0L;
                    while (true)
                    {
                        var page = new List<FetchedRow>(pageSize);
                        await ReadRowsAsync(c, $"{select} WHERE id > $1 ORDER BY id LIMIT {pageSize}", last, page.Add, cancellationToken).ConfigureAwait(false);
                        foreach (var row in page)
                        {
                            visit(row);
                        }

                        if (page.Count < pageSize)
                        {
                            break;
                        }

                        last = page[^1].Id;
                    }
                }),
                ("streamed (one reader, row by row)", (c, visit) => ReadRowsAsync(c, $"{select} ORDER BY id", null, r => visit(r), cancellationToken)),
            })
            {
                await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                var baseline = GC.GetTotalMemory(false);
                var peak = baseline;
                long count = 0, idSum = 0;
                var nextCheckpoint = NextCheckpoint(0, rows);
                var firstRow = TimeSpan.Zero;
                var clock = Stopwatch.StartNew();
                await fetch(connection, row =>
                {
                    if (count == 0)
                    {
                        firstRow = clock.Elapsed;
                    }

                    count++;
                    idSum += row.Id;
                    if (count >= nextCheckpoint)
                    {
                        peak = Math.Max(peak, LiveHeap());
                        nextCheckpoint = NextCheckpoint(count, rows);
                    }

                    return true;
                }).ConfigureAwait(false);
                clock.Stop();
                cases.Add(new DataCase(name, [
                    new Metric("first row", firstRow.TotalMilliseconds, "ms"),
                    new Metric("total", clock.Elapsed.TotalMilliseconds, "ms"),
                    new Metric("peak live heap", peak / 1048576.0, "MB"),
                    new Metric("growth", Math.Max(0, peak - baseline) / 1048576.0, "MB"),
                    new Metric("rows", count, "rows"),
                    new Metric("sum id", idSum, ""),
                ]));
            }
        }
        finally
        {
            await ExecuteAsync(source, $"DROP TABLE IF EXISTS {table}", CancellationToken.None).ConfigureAwait(false);
        }

        return new DataReport("fetch", PostgresTarget.Mask(connectionString), settings, cases, [
            $"{rows} rows of about 130 bytes; the live heap is read at {FetchCheckpoints} evenly spaced rows, each after a forced gen1 collection (all at once: while the list is walked, so it holds every row).",
            "The list's first row arrives only when the last has: time to first row is its total time less the walk.",
        ]);
    }

    /// <summary>How many times a fetch reads the live heap, whatever its size.</summary>
    internal const int FetchCheckpoints = 20;

    // The row after which the next checkpoint reads the live heap: rows/20, 2*rows/20, ... (at least one row on).
    private static long NextCheckpoint(long done, int rows) => Math.Max(done + 1, ((done * FetchCheckpoints / Math.Max(rows, 1)) + 1) * rows / FetchCheckpoints);

    // The live managed heap: a blocking gen1 collection frees the young garbage a plain GetTotalMemory(false)
    // would count (gen0 and gen1 are small, so this costs little and the same at any size), then the heap is read.
    private static long LiveHeap()
    {
        GC.Collect(1, GCCollectionMode.Forced, blocking: true, compacting: false);
        return GC.GetTotalMemory(false);
    }

    private static async Task ReadRowsAsync(NpgsqlConnection connection, string sql, long? after, Action<FetchedRow> add, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (after is { } last)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = last });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            add(new FetchedRow(reader.GetInt64(0), reader.GetString(1), reader.GetDouble(2), reader.GetString(3)));
        }
    }

    /// <summary>
    /// The pool's limit under load and when exhausted: <paramref name="tasks"/> tasks at once through a
    /// pool of <paramref name="maxPoolSize"/> (each counts the server connections of this experiment
    /// while it holds one), then every pooled connection held and one more asked for with a 1 s timeout.
    /// </summary>
    public static async Task<DataReport> PoolAsync(string connectionString, int maxPoolSize, int tasks, CancellationToken cancellationToken)
    {
        var target = PostgresTarget.Parse(connectionString);
        var application = TableName("braid_pool");
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString)
        {
            Pooling = true,
            MaxPoolSize = maxPoolSize,
            ApplicationName = application,
            Timeout = 30,
        };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        var settings = await SettingsAsync(source, cancellationToken).ConfigureAwait(false);
        var cases = new List<DataCase>();
        var notes = new List<string>();

        var most = 0L;
        var done = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(_ => Task.Run(
            async () =>
            {
                await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", connection);
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = application });
                var seen = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                InterlockedMax(ref most, seen);
                await using var sleep = new NpgsqlCommand("SELECT pg_sleep(0.01)", connection);
                await sleep.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref done);
            },
            cancellationToken))).ConfigureAwait(false);
        clock.Stop();
        cases.Add(new DataCase($"{tasks} tasks at once, Maximum Pool Size={maxPoolSize}", [
            new Metric("completed", done, "tasks"),
            new Metric("most server connections seen", most, "connections"),
            new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
        ]));

        var exhausted = await ExhaustAsync(builder, cancellationToken).ConfigureAwait(false);
        cases.Add(new DataCase($"all {maxPoolSize} held, one more asked for (Timeout=1)", [
            new Metric("waited", exhausted.Waited.TotalMilliseconds, "ms"),
            new Metric("failed", exhausted.Error is null ? 0 : 1, "opens"),
        ]));
        if (exhausted.Error is { } error)
        {
            notes.Add($"How exhaustion shows: {error}");
        }

        notes.Add("The keyword is 'Maximum Pool Size' (or MaxPoolSize); 'Max Pool Size', SqlClient's spelling, is not an Npgsql keyword: " + Keyword("Max Pool Size=5"));
        return new DataReport("pool", PostgresTarget.Mask(connectionString), settings, cases, notes);
    }

    /// <summary>What asking an exhausted pool for one more connection did.</summary>
    internal readonly record struct Exhaustion(TimeSpan Waited, string? Error);

    /// <summary>Holds every connection of <paramref name="builder"/>'s pool and asks for one more with a 1 s timeout.</summary>
    internal static async Task<Exhaustion> ExhaustAsync(NpgsqlConnectionStringBuilder builder, CancellationToken cancellationToken)
    {
        var limited = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Timeout = 1 };
        await using var source = NpgsqlDataSource.Create(limited.ConnectionString);
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < limited.MaxPoolSize; i++)
            {
                held.Add(await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false));
            }

            var clock = Stopwatch.StartNew();
            try
            {
                await using var extra = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                return new Exhaustion(clock.Elapsed, null);
            }
            catch (NpgsqlException e)
            {
                return new Exhaustion(clock.Elapsed, $"{e.GetType().Name}: {e.Message}");
            }
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Whether Npgsql accepts <paramref name="keyword"/> (<c>"Max Pool Size=5"</c>): "accepted", or the exception's message.</summary>
    internal static string Keyword(string keyword)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(keyword);
            return "accepted";
        }
        catch (ArgumentException e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    internal static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"name-{i}");

    /// <summary>A table (or application) name no other run uses: <paramref name="prefix"/> and 8 random hex digits.</summary>
    internal static string TableName(string prefix) => string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Random.Shared.Next():x8}");

    internal static async Task ExecuteAsync(NpgsqlDataSource source, string sql, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
