using Braid.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace Braid.Lab.Workloads;

/// <summary>One fetched record.</summary>
internal readonly record struct CityRecord(int Id, long GeonameId, string Name, string Country, double Lat, double Lon, long Population);

/// <summary>
/// The io workload's store: the records table behind Braid.Data's single writer
/// (<see cref="SqliteSingleWriter{T}"/>: a bounded channel, WAL, batched <c>BEGIN IMMEDIATE</c>
/// transactions; docs/design.md rule 88). Producers wait when the channel is full (backpressure).
/// </summary>
internal sealed class RecordStore : IAsyncDisposable
{
    private readonly SqliteSingleWriter<CityRecord> _writer;

    public RecordStore(string path)
    {
        // A store is fresh or it is a bug: a second run writing into a filled store fails every insert
        // on the primary key, and the writer's error then closes the channel under every producer.
        if (File.Exists(path))
        {
            throw new InvalidOperationException($"the store {path} already exists; every model run needs a fresh one");
        }

        _writer = new SqliteSingleWriter<CityRecord>(path, Prepare, capacity: 256, maxBatch: 128);
    }

    public string Path => _writer.Path;

    /// <summary>Adds a record, blocking this thread while the channel is full (the blocking models' way).</summary>
    public void Add(CityRecord record, CancellationToken cancellationToken) => _writer.Add(record, cancellationToken);

    /// <summary>Adds a record, waiting asynchronously while the channel is full.</summary>
    public ValueTask AddAsync(CityRecord record, CancellationToken cancellationToken) => _writer.AddAsync(record, cancellationToken);

    /// <summary>Closes the channel, waits for the writer to commit everything, and counts the rows.</summary>
    public async Task<long> CompleteAsync()
    {
        await _writer.CompleteAsync().ConfigureAwait(false);
        return _writer.Query(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM records";
            return (long)command.ExecuteScalar()!;
        });
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    // The schema and a prepared insert, made once on the writer's connection.
    private static SqliteBatchWriter<CityRecord> Prepare(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY, geoname_id INTEGER, name TEXT, country TEXT, lat REAL, lon REAL, population INTEGER);";
            create.ExecuteNonQuery();
        }

        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO records VALUES ($id, $gid, $name, $country, $lat, $lon, $population)";
        SqliteParameter[] p = [.. new[] { "$id", "$gid", "$name", "$country", "$lat", "$lon", "$population" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n }))];
        return (transaction, batch) =>
        {
            insert.Transaction = transaction;
            foreach (var record in batch)
            {
                p[0].Value = record.Id;
                p[1].Value = record.GeonameId;
                p[2].Value = record.Name;
                p[3].Value = record.Country;
                p[4].Value = record.Lat;
                p[5].Value = record.Lon;
                p[6].Value = record.Population;
                insert.ExecuteNonQuery();
            }
        };
    }
}
