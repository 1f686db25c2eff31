using Braid.Coordination;
using Xunit.Abstractions;

namespace Braid.Tests.Coordination;

public sealed class ReaderWriterLockTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Many_readers_hold_the_lock_together_and_exclude_a_writer(bool fair)
    {
        var rw = new AsyncReaderWriterLock(fair);
        var readers = new List<AsyncReaderWriterLock.Releaser>();
        for (var i = 0; i < 5; i++)
        {
            var pending = rw.ReaderLockAsync();
            Assert.True(pending.IsCompletedSuccessfully);
            readers.Add(await pending);
        }

        Assert.Equal(5, rw.GetStatistics().ReaderCount);
        Assert.False(rw.TryWriterLock(out _));
        var writer = rw.WriterLockAsync().AsTask();
        Assert.Equal(1, rw.GetStatistics().WaitingWriters);
        foreach (var reader in readers.Take(4))
        {
            reader.Dispose();
        }

        Assert.False(writer.IsCompleted);
        readers[4].Dispose();
        using var held = await writer;
        Assert.True(held.IsWriter);
        Assert.True(rw.GetStatistics().IsWriterHeld);
        Assert.False(rw.TryReaderLock(out _));
    }

    [Fact]
    public async Task A_waiting_writer_holds_back_new_readers_so_readers_cannot_starve_it()
    {
        var rw = new AsyncReaderWriterLock();
        var firstReader = await rw.ReaderLockAsync();
        var writer = rw.WriterLockAsync().AsTask();

        // A stream of readers arriving after the writer queue behind it.
        var lateReaders = Enumerable.Range(0, 3).Select(_ => rw.ReaderLockAsync().AsTask()).ToArray();
        Assert.False(rw.TryReaderLock(out _));
        Assert.All(lateReaders, r => Assert.False(r.IsCompleted));
        Assert.Equal(3, rw.GetStatistics().WaitingReaders);

        firstReader.Dispose();
        var held = await writer;
        Assert.All(lateReaders, r => Assert.False(r.IsCompleted));
        held.Dispose();
        foreach (var reader in await Task.WhenAll(lateReaders))
        {
            Assert.False(reader.IsWriter);
            reader.Dispose();
        }

        Assert.Equal(0, rw.GetStatistics().ReaderCount);
    }

    [Fact]
    public async Task Writer_preferring_mode_serves_waiting_writers_before_waiting_readers()
    {
        var rw = new AsyncReaderWriterLock();
        var order = new List<string>();
        var first = await rw.WriterLockAsync();
        var tasks = new[]
        {
            RecordAsync(rw.ReaderLockAsync(), "R1"),
            RecordAsync(rw.WriterLockAsync(), "W2"),
            RecordAsync(rw.ReaderLockAsync(), "R3"),
            RecordAsync(rw.WriterLockAsync(), "W4"),
        };
        first.Dispose();
        await Task.WhenAll(tasks);
        Assert.Equal(["W2", "W4"], order.Take(2));
        Assert.Equal(["R1", "R3"], order.Skip(2).Order());

        async Task RecordAsync(ValueTask<AsyncReaderWriterLock.Releaser> pending, string name)
        {
            using var releaser = await pending;
            lock (order)
            {
                order.Add(name);
            }

            await Task.Yield();
        }
    }

    [Fact]
    public async Task Fair_mode_serves_in_arrival_order_with_consecutive_readers_together()
    {
        var rw = new AsyncReaderWriterLock(fair: true);
        var first = await rw.WriterLockAsync();
        var r1 = rw.ReaderLockAsync().AsTask();
        var r2 = rw.ReaderLockAsync().AsTask();
        var w3 = rw.WriterLockAsync().AsTask();
        var r4 = rw.ReaderLockAsync().AsTask();
        first.Dispose();

        var readers = await Task.WhenAll(r1, r2);
        Assert.Equal(2, rw.GetStatistics().ReaderCount);
        Assert.False(w3.IsCompleted);
        Assert.False(r4.IsCompleted); // a reader behind a waiting writer waits, even though readers hold the lock
        readers[0].Dispose();
        readers[1].Dispose();
        var writer = await w3;
        Assert.False(r4.IsCompleted);
        writer.Dispose();
        (await r4).Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancelled_waiting_writer_lets_the_readers_behind_it_in(bool fair)
    {
        var rw = new AsyncReaderWriterLock(fair);
        var reader = await rw.ReaderLockAsync();
        using var cts = new CancellationTokenSource();
        var writer = rw.WriterLockAsync(cts.Token).AsTask();
        var lateReader = rw.ReaderLockAsync().AsTask();
        Assert.False(lateReader.IsCompleted);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer);
        (await lateReader).Dispose();
        reader.Dispose();
        var stats = rw.GetStatistics();
        Assert.Equal((0, false, 0, 0, 1L), (stats.ReaderCount, stats.IsWriterHeld, stats.WaitingReaders, stats.WaitingWriters, stats.Cancellations));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancelled_waiting_reader_takes_nothing(bool fair)
    {
        var rw = new AsyncReaderWriterLock(fair);
        var writer = await rw.WriterLockAsync();
        using var cts = new CancellationTokenSource();
        var reader = rw.ReaderLockAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader);
        writer.Dispose();
        Assert.Equal(0, rw.GetStatistics().ReaderCount);
        Assert.True(rw.TryWriterLock(out var again));
        again.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Randomized_stress_never_mixes_a_writer_with_anyone_and_balances(bool fair)
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}, fair {fair}");
        var rw = new AsyncReaderWriterLock(fair);
        var readers = 0;
        var writers = 0;
        var violations = 0;
        long reads = 0, writes = 0, cancelled = 0;

        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            for (var i = 0; i < 200; i++)
            {
                var isWriter = random.Next(4) == 0;
                using var cts = new CancellationTokenSource();
                var pending = isWriter ? rw.WriterLockAsync(cts.Token) : rw.ReaderLockAsync(cts.Token);
                if (random.Next(5) == 0)
                {
                    _ = Task.Run(cts.Cancel);
                }

                AsyncReaderWriterLock.Releaser releaser;
                try
                {
                    releaser = await pending;
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    continue;
                }

                if (isWriter)
                {
                    if (Interlocked.Increment(ref writers) != 1 || Volatile.Read(ref readers) != 0)
                    {
                        Interlocked.Increment(ref violations);
                    }

                    await Task.Yield();
                    Interlocked.Decrement(ref writers);
                    Interlocked.Increment(ref writes);
                }
                else
                {
                    Interlocked.Increment(ref readers);
                    if (Volatile.Read(ref writers) != 0)
                    {
                        Interlocked.Increment(ref violations);
                    }

                    await Task.Yield();
                    Interlocked.Decrement(ref readers);
                    Interlocked.Increment(ref reads);
                }

                releaser.Dispose();
            }
        })).ToArray();

        await Task.WhenAll(workers);
        output.WriteLine($"reads {reads}, writes {writes}, cancelled {cancelled}");
        Assert.Equal(0, violations);
        Assert.Equal(8 * 200, reads + writes + cancelled);
        var stats = rw.GetStatistics();
        Assert.Equal((0, false, 0, 0), (stats.ReaderCount, stats.IsWriterHeld, stats.WaitingReaders, stats.WaitingWriters));
    }
}
