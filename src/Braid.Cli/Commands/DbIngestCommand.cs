using System.CommandLine;
using System.Globalization;
using Braid.Data.Experiments;
using Braid.Data.Ingest;
using Braid.Data.Postgres;
using Npgsql;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid db ingest</c>: the concurrent, resumable CSV ingest (<see cref="CsvIngest"/>) into PostgreSQL,
/// or into SQLite with <c>--sqlite</c>. A cancelled run (Ctrl-C) keeps its committed batches; the same
/// command again resumes where it stopped.
/// </summary>
internal static class DbIngestCommand
{
    public static Command Create()
    {
        var (connection, _) = DbCommand.CommonOptions();
        var csv = new Option<string>("--csv") { Description = "The CSV file: a header 'id,name,value', then one row a line", Required = true };
        var table = new Option<string>("--table") { Description = "The target table (default braid_ingest)", DefaultValueFactory = _ => "braid_ingest" };
        var sqlite = new Option<string?>("--sqlite") { Description = "Ingest into this SQLite database file instead of PostgreSQL" };
        var batch = DbCommand.Int("--batch", "Rows a batch (a transaction)", 1000);
        var workers = DbCommand.Int("--workers", "Batches in flight at once", 4);
        var create = new Option<bool>("--create") { Description = "Create the table if it is missing" };
        var make = new Option<int?>("--make-csv") { Description = "First write this many seeded sample rows to the --csv file (replacing it)" }.WholeNumber();
        var command = new Command("ingest", "A concurrent CSV ingest that resumes exactly after a cancel (progress commits with each batch).")
        {
            connection, csv, table, sqlite, batch, workers, create, make,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(
            parsed.GetValue(sqlite) is not null ? null : DbCommand.Connection(parsed.GetValue(connection)),
            parsed.GetValue(sqlite),
            parsed.GetValue(csv)!,
            parsed.GetValue(table)!,
            parsed.GetValue(batch),
            parsed.GetValue(workers),
            parsed.GetValue(create),
            parsed.GetValue(make),
            parsed.InvocationConfiguration.Output,
            parsed.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(string? connection, string? sqlite, string csv, string table, int batch, int workers, bool create, int? make, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        const string Title = "braid db ingest";
        if (batch < 1 || workers < 1 || make is < 1)
        {
            return await DbCommand.BadInputAsync(stderr, Title, batch < 1 ? "--batch must be at least 1" : workers < 1 ? "--workers must be at least 1" : "--make-csv must be at least 1");
        }

        if (sqlite is null && connection is null)
        {
            return await DbCommand.BadInputAsync(stderr, Title, DbCommand.NoConnection + ", or give --sqlite FILE");
        }

        NpgsqlConnectionStringBuilder? target = null;
        try
        {
            if (connection is not null)
            {
                target = PostgresTarget.Parse(connection);
                await stderr.WriteLineAsync($"{Title}: {PostgresTarget.Mask(connection)}");
            }

            if (make is { } rows)
            {
                try
                {
                    CsvIngest.WriteSample(csv, rows, seed: 16);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new DataInputException($"--csv: cannot write {csv}: {e.Message}", e);
                }
            }

            var result = sqlite is not null
                ? await CsvIngest.IntoSqliteAsync(sqlite, csv, table, batch, workers, create, null, cancellationToken)
                : await CsvIngest.IntoPostgresAsync(connection!, csv, table, batch, workers, create, null, cancellationToken);
            var c = CultureInfo.InvariantCulture;
            var where = sqlite is not null ? $"SQLite {sqlite}" : $"PostgreSQL {target!.Host}:{target.Port}";
            await stdout.WriteLineAsync(string.Create(c, $"{where}, table {table}: {result.RowsThisRun:N0} rows in {result.BatchesThisRun:N0} batches this run ({result.BatchesSkipped:N0} batches done by earlier runs, skipped); the table has {result.RowsInTable:N0} rows; {result.Elapsed.TotalSeconds:F2} s"));
            if (result.Cancelled)
            {
                await stderr.WriteLineAsync($"{Title}: cancelled; every committed batch is recorded: run the same command again to resume");
                return DbCommand.Cancelled;
            }

            return 0;
        }
        catch (Exception e) when (DbCommand.Describe(e, target) is { } line)
        {
            return await DbCommand.BadInputAsync(stderr, Title, line);
        }
        catch (Exception e) when (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return await DbCommand.BadInputAsync(stderr, Title, $"a row of {csv} is already in {table} but no earlier run of this ingest recorded it: {((PostgresException)e).Detail ?? e.Message}");
        }
        catch (Exception e) when (e is NpgsqlException or Microsoft.Data.Sqlite.SqliteException)
        {
            await stderr.WriteLineAsync($"{Title}: failed: {e.Message.Split('\n')[0]}");
            return DbCommand.Failed;
        }
    }
}
