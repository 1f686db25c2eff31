using System.Globalization;
using Braid.Data.Experiments;
using Braid.Data.Ingest;
using Braid.Data.Postgres;
using Braid.Data.Tests.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Braid.Data.Tests.Ingest;

/// <summary>A cancelled ingest, resumed, loses and duplicates nothing (docs/design.md rule 154), on both databases.</summary>
public sealed class CsvIngestTests : IDisposable
{
    private const int Rows = 5000, BatchSize = 100; // 50 batches
    private readonly string _dir = Directory.CreateTempSubdirectory("braid-ingest-").FullName;

    public CsvIngestTests() => CsvIngest.WriteSample(Csv, Rows, seed: 16);

    private string Csv => Path.Combine(_dir, "rows.csv");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The file's own count and sums: what the table must hold after the ingest.
    private (long Count, long IdSum, double ValueSum) Expected()
    {
        var lines = File.ReadLines(Csv).Skip(1).Select(l => l.Split(',')).ToList();
        return (lines.Count, lines.Sum(p => long.Parse(p[0], CultureInfo.InvariantCulture)), lines.Sum(p => double.Parse(p[2], CultureInfo.InvariantCulture)));
    }

    [SkippableFact]
    public async Task A_cancelled_postgres_ingest_resumes_exactly()
    {
        var connection = PostgresServer.ConnectionString();
        var table = PostgresExperiments.TableName("ingest_test");
        try
        {
            using var cancel = new CancellationTokenSource();
            var committed = 0;
            var first = await CsvIngest.IntoPostgresAsync(connection, Csv, table, BatchSize, workers: 4, create: true, _ =>
            {
                if (Interlocked.Increment(ref committed) == 5)
                {
                    cancel.Cancel();
                }
            }, cancel.Token);
            Assert.True(first.Cancelled);
            Assert.InRange(first.BatchesThisRun, 5, 49);
            Assert.Equal(first.BatchesThisRun * BatchSize, first.RowsInTable); // whole batches only

            var second = await CsvIngest.IntoPostgresAsync(connection, Csv, table, BatchSize, workers: 4, create: false, null, CancellationToken.None);
            Assert.False(second.Cancelled);
            Assert.Equal(first.BatchesThisRun, second.BatchesSkipped);
            Assert.Equal(50, first.BatchesThisRun + second.BatchesThisRun);
            var (count, ids, values) = Expected();
            var (tableCount, tableIds, tableValues) = await PostgresSumsAsync(connection, table);
            Assert.Equal(count, tableCount);
            Assert.Equal(ids, tableIds);
            Assert.Equal(values, tableValues, 6);
        }
        finally
        {
            await using var source = NpgsqlDataSource.Create(connection);
            await PostgresExperiments.ExecuteAsync(source, $"DROP TABLE IF EXISTS {table}; DELETE FROM braid_ingest_progress WHERE ingest = '{table}'", CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_cancelled_sqlite_ingest_resumes_exactly()
    {
        var database = Path.Combine(_dir, "ingest.db");
        using var cancel = new CancellationTokenSource();
        var committed = 0;
        var first = await CsvIngest.IntoSqliteAsync(database, Csv, "rows", BatchSize, workers: 4, create: true, _ =>
        {
            if (Interlocked.Increment(ref committed) == 5)
            {
                cancel.Cancel();
            }
        }, cancel.Token);
        Assert.True(first.Cancelled);
        Assert.InRange(first.BatchesThisRun, 5, 49);
        Assert.Equal(first.BatchesThisRun * BatchSize, first.RowsInTable);

        var second = await CsvIngest.IntoSqliteAsync(database, Csv, "rows", BatchSize, workers: 4, create: false, null, CancellationToken.None);
        Assert.False(second.Cancelled);
        Assert.Equal(first.BatchesThisRun, second.BatchesSkipped);
        Assert.Equal(50, first.BatchesThisRun + second.BatchesThisRun);

        await using var check = new SqliteConnection($"Data Source={database};Pooling=False");
        await check.OpenAsync();
        await using var command = check.CreateCommand();
        command.CommandText = "SELECT count(*), sum(id), sum(value) FROM rows";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (count, ids, values) = Expected();
        Assert.Equal(count, reader.GetInt64(0));
        Assert.Equal(ids, reader.GetInt64(1));
        Assert.Equal(values, reader.GetDouble(2), 6);
    }

    [Fact]
    public async Task A_bad_line_is_named_and_a_missing_table_is_one_line()
    {
        await File.AppendAllTextAsync(Csv, "5001,oops\n");
        var database = Path.Combine(_dir, "bad.db");
        var bad = await Assert.ThrowsAsync<DataInputException>(() => CsvIngest.IntoSqliteAsync(database, Csv, "rows", BatchSize, 2, create: true, null, CancellationToken.None));
        Assert.Equal($"{Csv}:5002: expected id,name,value (a whole number, text without commas, a number), got '5001,oops'", bad.Message);

        var missing = await Assert.ThrowsAsync<DataInputException>(() => CsvIngest.IntoSqliteAsync(Path.Combine(_dir, "empty.db"), Csv, "rows", BatchSize, 2, create: false, null, CancellationToken.None));
        Assert.StartsWith("missing table: rows does not exist", missing.Message, StringComparison.Ordinal);

        var name = await Assert.ThrowsAsync<DataInputException>(() => CsvIngest.IntoSqliteAsync(database, Csv, "rows; drop", BatchSize, 2, create: true, null, CancellationToken.None));
        Assert.StartsWith("--table:", name.Message, StringComparison.Ordinal);
    }

    private static async Task<(long, long, double)> PostgresSumsAsync(string connection, string table)
    {
        await using var source = NpgsqlDataSource.Create(connection);
        await using var command = source.CreateCommand($"SELECT count(*), sum(id)::bigint, sum(value) FROM {table}");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2));
    }
}
