using System.CommandLine;
using System.Globalization;
using System.Text;
using Braid.Data.Experiments;
using Braid.Data.Postgres;
using Braid.Lab.Output;
using Npgsql;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid db</c>: the database experiments of issue 16 (docs/databases.md). Each subcommand calls one
/// experiment in Braid.Data, prints its table and writes its JSON; this file parses and renders.
/// </summary>
internal static class DbCommand
{
    /// <summary>Exit code of a run that failed (not through bad input).</summary>
    internal const int Failed = 1;

    /// <summary>Exit code of a run stopped by Ctrl-C or SIGTERM.</summary>
    internal const int Cancelled = 130;

    public static Command Create()
    {
        var command = new Command("db", "Database experiments on SQLite and a real PostgreSQL: connections, bulk inserts, fetching, the pool, a resumable ingest.");

        var queries = Int("--queries", "Queries each way", 1000);
        var concurrency = Int("--concurrency", "Queries at once in the concurrent runs (and the pool's size)", 50);
        command.Subcommands.Add(Experiment("connections", "Fresh connections vs a pool vs multiplexing (1,000 queries), sequential and concurrent.", [queries, concurrency],
            (p, cs, ct) => PostgresExperiments.ConnectionsAsync(cs!, p.GetValue(queries), p.GetValue(concurrency), ct)));

        var bulkRows = Int("--rows", "Rows each way", 100_000);
        command.Subcommands.Add(Experiment("bulk", "Row-by-row INSERT vs batched INSERT vs binary COPY.", [bulkRows],
            (p, cs, ct) => PostgresExperiments.BulkAsync(cs!, p.GetValue(bulkRows), ct)));

        var fetchRows = Int("--rows", "Rows to fetch", 100_000);
        var page = Int("--page", "Rows a keyset page", 1000);
        command.Subcommands.Add(Experiment("fetch", "Fetching all rows at once vs keyset pages vs streamed: time to first row, peak memory, total.", [fetchRows, page],
            (p, cs, ct) => PostgresExperiments.FetchAsync(cs!, p.GetValue(fetchRows), p.GetValue(page), ct)));

        var size = Int("--pool", "Maximum Pool Size", 5);
        var tasks = Int("--tasks", "Tasks asking for a connection at once", 50);
        command.Subcommands.Add(Experiment("pool", "The pool's limit under load, and how an exhausted pool shows.", [size, tasks],
            (p, cs, ct) => PostgresExperiments.PoolAsync(cs!, p.GetValue(size), p.GetValue(tasks), ct)));

        var writers = Int("--writers", "Concurrent writers", 4);
        var sqliteRows = Int("--rows", "Rows each writer", 200);
        command.Subcommands.Add(Experiment("sqlite", "SQLite measured: async calls run synchronously; 'database is locked' with concurrent writers; the single writer.", [writers, sqliteRows],
            async (p, _, ct) =>
            {
                var dir = Directory.CreateTempSubdirectory("braid-db-sqlite-");
                try
                {
                    return await SqliteExperiments.RunAsync(dir.FullName, p.GetValue(writers), p.GetValue(sqliteRows), ct);
                }
                finally
                {
                    dir.Delete(recursive: true);
                }
            },
            needsPostgres: false));
        var vectors = Int("--vectors", "Seeded random unit vectors", 100_000);
        var dimensions = Int("--dimensions", "Dimensions a vector", 384);
        var probes = Int("--queries", "Nearest-neighbour queries (top 10 each)", 100);
        command.Subcommands.Add(Experiment("embeddings", "Seeded random vectors in real[]: bulk insert, brute-force cosine top 10 in SQL and in process.", [vectors, dimensions, probes],
            (p, cs, ct) => Braid.Data.Embeddings.EmbeddingsExperiment.RunAsync(cs!, p.GetValue(vectors), p.GetValue(dimensions), p.GetValue(probes), 10, 16, ct)));
        command.Subcommands.Add(DbIngestCommand.Create());
        command.Subcommands.Add(Orm());
        return command;
    }

    // EF Core CRUD, streaming and one context per operation, on PostgreSQL or (--sqlite) SQLite.
    private static Command Orm()
    {
        var (connection, json) = CommonOptions();
        var authors = Int("--authors", "Authors", 100);
        var books = Int("--books", "Books per author", 10);
        var concurrency = Int("--concurrency", "Queries at once, a context each", 8);
        var sqlite = new Option<bool>("--sqlite") { Description = "Run on SQLite (a temporary database) instead of PostgreSQL" };
        var command = new Command("orm", "EF Core CRUD on authors and books, streaming, and one context per operation.")
        {
            connection, json, authors, books, concurrency, sqlite,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            var onSqlite = parsed.GetValue(sqlite);
            return RunAsync(
                "braid db orm",
                onSqlite ? "" : Connection(parsed.GetValue(connection)),
                parsed.GetValue(json),
                [.. new[] { authors, books, concurrency }.Select(o => (o.Name, parsed.GetValue(o)))],
                async cs =>
                {
                    var dir = Directory.CreateTempSubdirectory("braid-db-orm-");
                    try
                    {
                        return await Braid.Data.Orm.OrmExperiment.RunAsync(cs, dir.FullName, parsed.GetValue(authors), parsed.GetValue(books), parsed.GetValue(concurrency), cancellationToken);
                    }
                    finally
                    {
                        dir.Delete(recursive: true);
                    }
                },
                parsed.InvocationConfiguration.Output,
                parsed.InvocationConfiguration.Error,
                cancellationToken);
        });
        return command;
    }

    internal static Option<int> Int(string name, string description, int value) =>
        new Option<int>(name) { Description = $"{description} (default {value.ToString(CultureInfo.InvariantCulture)})", DefaultValueFactory = _ => value }.WholeNumber();

    /// <summary>The options every PostgreSQL experiment has: <c>--connection</c> and <c>--json</c>.</summary>
    internal static (Option<string?> Connection, Option<string?> Json) CommonOptions() => (
        new Option<string?>("--connection", "-c") { Description = $"The PostgreSQL connection string (default: ${PostgresTarget.EnvironmentVariable}; scripts/postgres-start.sh starts a throwaway server)" },
        new Option<string?>("--json") { Description = "Also write the report as JSON to this file ('-' for standard output), or as HTML when the name ends in .html" });

    private static Command Experiment(string name, string description, Option<int>[] numbers, Func<ParseResult, string?, CancellationToken, Task<DataReport>> run, bool needsPostgres = true)
    {
        var (connection, json) = CommonOptions();
        var command = new Command(name, description);
        if (needsPostgres)
        {
            command.Options.Add(connection);
        }

        command.Options.Add(json);
        foreach (var option in numbers)
        {
            command.Options.Add(option);
        }

        command.SetAction((parsed, cancellationToken) => RunAsync(
            $"braid db {name}",
            needsPostgres ? Connection(parsed.GetValue(connection)) : "",
            parsed.GetValue(json),
            [.. numbers.Select(o => (o.Name, parsed.GetValue(o)))],
            cs => run(parsed, cs, cancellationToken),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>The connection string: the option's, else the environment's, else null (reported as bad input).</summary>
    internal static string? Connection(string? option) =>
        !string.IsNullOrWhiteSpace(option) ? option : Environment.GetEnvironmentVariable(PostgresTarget.EnvironmentVariable) is { Length: > 0 } env ? env : null;

    internal static string NoConnection =>
        $"no PostgreSQL: pass --connection or set {PostgresTarget.EnvironmentVariable} (eval \"$(bash scripts/postgres-start.sh)\" starts a throwaway server; see docs/databases.md)";

    /// <summary>Validates, runs one experiment, prints its table and writes its JSON; bad input is one line and exit 2.</summary>
    internal static async Task<int> RunAsync(string title, string? connection, string? json, IReadOnlyList<(string Name, int Value)> numbers, Func<string?, Task<DataReport>> run, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        foreach (var (option, value) in numbers)
        {
            if (value < 1)
            {
                return await BadInputAsync(stderr, title, $"{option} must be at least 1 (got {value.ToString(CultureInfo.InvariantCulture)})");
            }
        }

        if (connection is null)
        {
            return await BadInputAsync(stderr, title, NoConnection);
        }

        NpgsqlConnectionStringBuilder? target = null;
        if (connection.Length > 0)
        {
            try
            {
                target = PostgresTarget.Parse(connection);
            }
            catch (DataInputException e)
            {
                return await BadInputAsync(stderr, title, e.Message);
            }
        }

        if (json is not null && OutputFile.Check(json) is { } problem)
        {
            return await BadInputAsync(stderr, title, $"--json: {problem}");
        }

        if (target is not null)
        {
            await stderr.WriteLineAsync($"{title}: {PostgresTarget.Mask(connection)}");
        }

        DataReport report;
        try
        {
            report = await run(connection.Length > 0 ? connection : null);
        }
        catch (Exception e) when (Describe(e, target) is { } line)
        {
            return await BadInputAsync(stderr, title, line);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"{title}: cancelled");
            return Cancelled;
        }
        catch (Exception e) when (e is NpgsqlException or Microsoft.Data.Sqlite.SqliteException)
        {
            await stderr.WriteLineAsync($"{title}: failed: {Mask(e.Message.Split('\n')[0], connection)}");
            return Failed;
        }

        // JSON on standard output: the table goes to stderr so the two do not mix (rule 97).
        await (json == OutputFile.StandardOutput ? stderr : stdout).WriteAsync(Render(report));
        if (json is not null)
        {
            var html = json.EndsWith(".html", StringComparison.OrdinalIgnoreCase) || json.EndsWith(".htm", StringComparison.OrdinalIgnoreCase);
            await OutputFile.WriteAsync(json, html ? DataReportHtml.Write(report) : DataReportJson.Write([report]), CancellationToken.None);
        }

        return 0;
    }

    /// <summary>One line for a failure that is the user's input, or null.</summary>
    internal static string? Describe(Exception e, NpgsqlConnectionStringBuilder? target) => e switch
    {
        DataInputException input => input.Message,
        _ when target is not null => PostgresTarget.Describe(e, target),
        _ => null,
    };

    private static string Mask(string message, string connection)
    {
        var password = connection.Length > 0 ? PostgresTarget.Parse(connection).Password : null;
        return string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);
    }

    internal static async Task<int> BadInputAsync(TextWriter stderr, string title, string message)
    {
        await stderr.WriteLineAsync($"{title}: {message}");
        return CliRunner.BadInput;
    }

    /// <summary>The report as a terminal table: one row a case, one column a metric, then the settings and notes.</summary>
    internal static string Render(DataReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var metrics = report.Cases.SelectMany(x => x.Metrics).Select(m => (m.Name, m.Unit)).Distinct().ToList();
        var header = new List<string> { "case" };
        header.AddRange(metrics.Select(m => m.Unit is "ms" or "MB" ? $"{m.Name} ({m.Unit})" : m.Name));
        var rows = report.Cases.Select(x =>
        {
            var row = new List<string> { x.Name };
            row.AddRange(metrics.Select(m => x.Metrics.FirstOrDefault(v => v.Name == m.Name) is { Name: not null } v ? Format(v, c) : ""));
            return row;
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToList();
        var text = new StringBuilder();
        text.Append(c, $"{report.Experiment}: {report.Connection}\n");
        text.Append(string.Join("  ", header.Select((h, i) => i == 0 ? h.PadRight(widths[i]) : h.PadLeft(widths[i]))).TrimEnd()).Append('\n');
        foreach (var row in rows)
        {
            text.Append(string.Join("  ", row.Select((v, i) => i == 0 ? v.PadRight(widths[i]) : v.PadLeft(widths[i]))).TrimEnd()).Append('\n');
        }

        text.Append("settings: ").Append(string.Join(", ", report.Settings.Select(s => $"{s.Key}={s.Value}"))).Append('\n');
        foreach (var note in report.Notes)
        {
            text.Append("note: ").Append(note).Append('\n');
        }

        return text.ToString();
    }

    private static string Format(Metric metric, CultureInfo c) => metric.Unit switch
    {
        "ms" => metric.Value.ToString(metric.Value < 10 ? "N2" : "N0", c),
        "MB" => metric.Value.ToString("N1", c),
        "/s" => metric.Value.ToString("N0", c),
        _ => metric.Value == Math.Floor(metric.Value) ? metric.Value.ToString("N0", c) : metric.Value.ToString("N2", c),
    };
}
