using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Braid.Data.Sqlite;

/// <summary>
/// An SQLite database in WAL mode written by one writer task that drains a bounded channel into batched
/// <c>BEGIN IMMEDIATE</c> transactions (docs/design.md rules 88 and 151). Any number of producers add
/// items; none of them ever holds SQLite's write lock, so none of them can see "database is locked".
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <remarks>
/// <para>
/// Microsoft.Data.Sqlite's async methods run synchronously (docs/databases.md measures it), so concurrent
/// writers only contend for SQLite's one write lock: with a short busy timeout they fail with "database is
/// locked", and a deferred transaction that reads and then writes fails busy in WAL mode whatever the
/// timeout. One writer with immediate transactions has neither problem, and batching makes the commit
/// (the fsync) cost per batch rather than per item.
/// </para>
/// <para>
/// Producers wait while the channel is full (backpressure): <see cref="Add"/> blocks its thread,
/// <see cref="AddAsync"/> suspends. If the writer fails, the channel completes with its error, so
/// waiting producers see it instead of waiting forever, and <see cref="CompleteAsync"/> throws it.
/// </para>
/// </remarks>
public sealed class SqliteSingleWriter<T> : IAsyncDisposable
{
    private readonly Channel<T> _channel;
    private readonly SqliteConnection _connection;
    private readonly SqliteBatchWriter<T> _write;
    private readonly int _maxBatch;
    private readonly Task _writer;
    private long _batches;

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> in WAL mode and starts the writer.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="prepare">
    /// Called once on the writer's connection before the first batch (create tables, prepare commands);
    /// returns the function that writes each batch.
    /// </param>
    /// <param name="capacity">The channel's capacity: how many items may wait for the writer.</param>
    /// <param name="maxBatch">The most items committed in one transaction.</param>
    /// <remarks>Opens the connection and runs <paramref name="prepare"/> synchronously on the caller's thread, so schema errors surface here.</remarks>
    public SqliteSingleWriter(string path, Func<SqliteConnection, SqliteBatchWriter<T>> prepare, int capacity = 256, int maxBatch = 128)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(prepare);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        Path = path;
        _maxBatch = maxBatch;
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            _connection.Open();
            using (var pragma = _connection.CreateCommand())
            {
                // WAL: readers never block the writer nor the writer them. synchronous=NORMAL: in WAL mode a
                // commit is durable at the next checkpoint; a power cut may lose the last commits, never corrupt.
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
                pragma.ExecuteNonQuery();
            }

            _write = prepare(_connection);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }

        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>How many transactions the writer has committed so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Adds an item, blocking this thread while the channel is full (for blocking producers).</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops the wait for room; a cancelled add did not add the item.</param>
    /// <exception cref="ChannelClosedException">The writer was completed, or failed (the inner exception is its error).</exception>
    public void Add(T item, CancellationToken cancellationToken)
    {
        if (!_channel.Writer.TryWrite(item))
        {
#pragma warning disable VSTHRD002 // The blocking form is for blocking producers: blocking is its contract.
            _channel.Writer.WriteAsync(item, cancellationToken).AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }
    }

    /// <summary>Adds an item, waiting asynchronously while the channel is full.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops the wait for room; a cancelled add did not add the item.</param>
    /// <returns>A task that completes synchronously when the channel had room.</returns>
    /// <exception cref="ChannelClosedException">The writer was completed, or failed (the inner exception is its error).</exception>
    public ValueTask AddAsync(T item, CancellationToken cancellationToken) =>
        _channel.Writer.TryWrite(item) ? ValueTask.CompletedTask : _channel.Writer.WriteAsync(item, cancellationToken);

    /// <summary>Closes the channel and waits until the writer has committed every item added before.</summary>
    /// <returns>A task that fails with the writer's error, if it had one.</returns>
    /// <remarks>Not cancellable: the items already accepted are committed, or the writer's error is thrown.</remarks>
    public async Task CompleteAsync()
    {
        _channel.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="query"/> on the writer's connection after <see cref="CompleteAsync"/> (counts, checks).</summary>
    /// <typeparam name="TResult">The query's result.</typeparam>
    /// <param name="query">The query, run synchronously on the caller's thread.</param>
    /// <returns>What <paramref name="query"/> returned.</returns>
    /// <exception cref="InvalidOperationException">The writer is still running.</exception>
    public TResult Query<TResult>(Func<SqliteConnection, TResult> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!_writer.IsCompleted)
        {
            throw new InvalidOperationException("the writer is still running; await CompleteAsync first");
        }

        return query(_connection);
    }

    /// <summary>Completes the channel, waits for the writer and closes the connection. Never throws the writer's error (<see cref="CompleteAsync"/> does).</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The writer's failure already reached producers through the completed channel and
            // CompleteAsync; disposal only has to release the connection.
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var reader = _channel.Reader;
            var batch = new List<T>(_maxBatch);

            // A drain loop (WaitToReadAsync, then TryRead until the batch is full) rather than ReadAsync:
            // it commits whatever has queued up in one transaction and avoids bounded channels'
            // cancelled-read traps.
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < _maxBatch && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                Commit(batch);
                batch.Clear();
            }
        }
        catch (Exception e)
        {
            // Producers waiting on a full channel must not wait forever: they see the writer's error.
            _channel.Writer.TryComplete(e);
            throw;
        }
    }

    // Synchronous on purpose: the async forms of these calls would run synchronously too.
    private void Commit(List<T> batch)
    {
        // BeginTransaction() is BEGIN IMMEDIATE in Microsoft.Data.Sqlite: the write lock is taken at the
        // start, so the transaction never has to upgrade a read lock (which fails busy in WAL mode).
        using (var transaction = _connection.BeginTransaction())
        {
            _write(transaction, batch);
            transaction.Commit();
        }

        Interlocked.Increment(ref _batches);
    }
}
