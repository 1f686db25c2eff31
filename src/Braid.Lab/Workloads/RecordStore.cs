using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Braid.Lab.Workloads;

/// <summary>One fetched record.</summary>
internal readonly record struct CityRecord(int Id, long GeonameId, string Name, string Country, double Lat, double Lon, long Population);

/// <summary>
/// The io workload's store: an SQLite database in WAL mode written by a single writer task that drains
/// a bounded channel and commits in batches. Microsoft.Data.Sqlite's async methods run synchronously,
/// so concurrent writers would only contend for SQLite's lock; one writer with batched transactions is
/// the design that scales (docs/design.md rule 88). Producers wait when the channel is full (backpressure).
/// </summary>
internal sealed class RecordStore : IAsyncDisposable
{
    private const int Capacity = 256;
    private const int MaxBatch = 128;
    private readonly Channel<CityRecord> _channel = Channel.CreateBounded<CityRecord>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly SqliteConnection _connection;
    private readonly Task _writer;

    public RecordStore(string path)
    {
        // A store is fresh or it is a bug: a second run writing into a filled store fails every insert
        // on the primary key, and the writer's error then closes the channel under every producer.
        if (File.Exists(path))
        {
            throw new InvalidOperationException($"the store {path} already exists; every model run needs a fresh one");
        }

        Path = path;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Execute("CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY, geoname_id INTEGER, name TEXT, country TEXT, lat REAL, lon REAL, population INTEGER);");
        _writer = Task.Run(WriteLoopAsync);
    }

    public string Path { get; }

    /// <summary>Adds a record, blocking this thread while the channel is full (the blocking models' way).</summary>
    public void Add(CityRecord record, CancellationToken cancellationToken)
    {
        if (!_channel.Writer.TryWrite(record))
        {
            Blocking.Wait(_channel.Writer.WriteAsync(record, cancellationToken));
        }
    }

    /// <summary>Adds a record, waiting asynchronously while the channel is full.</summary>
    public ValueTask AddAsync(CityRecord record, CancellationToken cancellationToken) =>
        _channel.Writer.TryWrite(record) ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(record, cancellationToken);

    /// <summary>Closes the channel, waits for the writer to commit everything, and counts the rows.</summary>
    public async Task<long> CompleteAsync()
    {
        _channel.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        return CountRows();
    }

    private long CountRows()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM records";
        return (long)command.ExecuteScalar()!;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The writer's failure was already surfaced to producers through the completed channel
            // and to CompleteAsync; disposal only has to release the connection.
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            using var insert = new Insert(_connection);
            var reader = _channel.Reader;

            // A drain loop (WaitToReadAsync, then TryRead until empty) rather than ReadAsync: it commits
            // whatever has queued up in one transaction, and avoids bounded channels' cancelled-read traps.
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                insert.CommitBatch(reader);
            }
        }
        catch (Exception e)
        {
            // Producers waiting on a full channel must not wait forever: they see the writer's error.
            _channel.Writer.TryComplete(e);
            throw;
        }
    }

    /// <summary>A prepared insert. SQLite calls are synchronous (the async ones would be too): they run on the writer's thread.</summary>
    private sealed class Insert : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _command;
        private readonly SqliteParameter[] _p;

        public Insert(SqliteConnection connection)
        {
            _connection = connection;
            _command = connection.CreateCommand();
            _command.CommandText = "INSERT INTO records VALUES ($id, $gid, $name, $country, $lat, $lon, $population)";
            _p = [.. new[] { "$id", "$gid", "$name", "$country", "$lat", "$lon", "$population" }.Select(n => _command.Parameters.Add(new SqliteParameter { ParameterName = n }))];
        }

        public void CommitBatch(ChannelReader<CityRecord> reader)
        {
            using var transaction = _connection.BeginTransaction();
            _command.Transaction = transaction;
            var batch = 0;
            while (batch < MaxBatch && reader.TryRead(out var record))
            {
                _p[0].Value = record.Id;
                _p[1].Value = record.GeonameId;
                _p[2].Value = record.Name;
                _p[3].Value = record.Country;
                _p[4].Value = record.Lat;
                _p[5].Value = record.Lon;
                _p[6].Value = record.Population;
                _command.ExecuteNonQuery();
                batch++;
            }

            transaction.Commit();
        }

        public void Dispose() => _command.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
