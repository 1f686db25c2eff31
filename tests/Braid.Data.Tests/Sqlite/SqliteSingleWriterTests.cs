using System.Threading.Channels;
using Braid.Data.Sqlite;
using Microsoft.Data.Sqlite;

namespace Braid.Data.Tests.Sqlite;

public sealed class SqliteSingleWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("braid-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SqliteBatchWriter<int> Numbers(SqliteConnection connection)
    {
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE numbers (n INTEGER PRIMARY KEY)";
            create.ExecuteNonQuery();
        }

        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO numbers VALUES ($n)";
        var n = insert.Parameters.Add(new SqliteParameter { ParameterName = "$n" });
        return (transaction, batch) =>
        {
            insert.Transaction = transaction;
            foreach (var item in batch)
            {
                if (item < 0)
                {
                    throw new InvalidOperationException($"poison {item}");
                }

                n.Value = item;
                insert.ExecuteNonQuery();
            }
        };
    }

    private static (long Count, long Sum) CountAndSum(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(sum(n), 0) FROM numbers";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    [Fact]
    public async Task Concurrent_async_and_blocking_producers_lose_nothing_and_commit_in_batches()
    {
        const int Producers = 8, PerProducer = 500;
        await using var writer = new SqliteSingleWriter<int>(Path.Combine(_dir, "n.db"), Numbers, capacity: 16, maxBatch: 64);
        var producers = Enumerable.Range(0, Producers).Select(p => p % 2 == 0
            ? Task.Run(async () =>
            {
                for (var i = 0; i < PerProducer; i++)
                {
                    await writer.AddAsync((p * PerProducer) + i, CancellationToken.None);
                }
            })
            : Task.Run(() =>
            {
                for (var i = 0; i < PerProducer; i++)
                {
                    writer.Add((p * PerProducer) + i, CancellationToken.None);
                }
            }));
        await Task.WhenAll(producers);
        await writer.CompleteAsync();

        const long Total = Producers * PerProducer;
        Assert.Equal((Total, Total * (Total - 1) / 2), writer.Query(CountAndSum));
        Assert.InRange(writer.Batches, Total / 64, Total - 1); // batched, and at most 64 a transaction
    }

    [Fact]
    public async Task The_database_is_in_WAL_mode()
    {
        var path = Path.Combine(_dir, "wal.db");
        await using var writer = new SqliteSingleWriter<int>(path, Numbers);
        await writer.CompleteAsync();
        var mode = writer.Query(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            return (string)command.ExecuteScalar()!;
        });
        Assert.Equal("wal", mode);
    }

    [Fact]
    public async Task A_writer_failure_reaches_waiting_producers_and_CompleteAsync()
    {
        await using var writer = new SqliteSingleWriter<int>(Path.Combine(_dir, "poison.db"), Numbers, capacity: 1, maxBatch: 1);
        await writer.AddAsync(-1, CancellationToken.None);

        // The channel holds one item; producers keep adding until the writer's failure closes it. Without
        // the failure reaching the channel, this loop would wait forever (the guard below fails it).
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var closed = await Assert.ThrowsAsync<ChannelClosedException>(async () =>
        {
            for (var i = 0; ; i++)
            {
                await writer.AddAsync(i, guard.Token);
            }
        });
        Assert.Contains("poison -1", closed.InnerException!.Message, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(writer.CompleteAsync);
        Assert.Equal("poison -1", error.Message);
    }

    [Fact]
    public async Task A_cancelled_add_adds_nothing()
    {
        var path = Path.Combine(_dir, "cancel.db");
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var writer = new SqliteSingleWriter<int>(path, connection =>
        {
            var write = Numbers(connection);
            return (transaction, batch) =>
            {
                entered.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(30)); // holds the writer so the channel stays full
                write(transaction, batch);
            };
        }, capacity: 1, maxBatch: 1);
        await writer.AddAsync(1, CancellationToken.None);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await writer.AddAsync(2, CancellationToken.None); // fills the channel
        using var cancel = new CancellationTokenSource();
        var pending = writer.AddAsync(3, cancel.Token);
        Assert.False(pending.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        release.Set();
        await writer.CompleteAsync();
        Assert.Equal((2L, 3L), writer.Query(CountAndSum));
    }
}
