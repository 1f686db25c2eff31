using Braid.Coordination;
using Xunit.Abstractions;

namespace Braid.Tests.Coordination;

public sealed class ConditionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Wait_releases_the_lock_and_a_notification_wakes_the_oldest_waiter_holding_it_again()
    {
        var gate = new AsyncLock();
        var condition = new AsyncCondition(gate);
        var order = new List<int>();

        // Each call takes the free lock, queues on the condition and releases the lock, synchronously.
        var waiters = Enumerable.Range(0, 3).Select(i => WaiterAsync(i)).ToArray();
        Assert.False(gate.IsLocked);
        Assert.Equal(3, condition.GetStatistics().WaitingCount);

        using (await gate.LockAsync())
        {
            Assert.Equal(1, condition.Notify());
        }

        await waiters[0];
        Assert.Equal([0], order);
        using (await gate.LockAsync())
        {
            Assert.Equal(2, condition.NotifyAll());
        }

        await Task.WhenAll(waiters);
        Assert.Equal(3, order.Count);
        Assert.False(gate.IsLocked);
        Assert.Equal(new AsyncConditionStatistics(0, 3, 0), condition.GetStatistics());

        async Task WaiterAsync(int index)
        {
            using (await gate.LockAsync())
            {
                await condition.WaitAsync();
                Assert.True(gate.IsLocked);
                order.Add(index); // safe: we hold the lock
            }
        }
    }

    [Fact]
    public async Task A_cancelled_wait_takes_the_lock_back_and_consumes_no_notification()
    {
        var gate = new AsyncLock();
        var condition = new AsyncCondition(gate);
        using var cts = new CancellationTokenSource();
        var heldAfterCancel = false;
        var cancelled = WaiterAsync(cts.Token, () => heldAfterCancel = gate.IsLocked);
        var notified = false;
        var other = WaiterAsync(CancellationToken.None, () => notified = true);
        Assert.Equal(2, condition.GetStatistics().WaitingCount);

        using (await gate.LockAsync())
        {
            await cts.CancelAsync();
            Assert.Equal(1, condition.GetStatistics().WaitingCount);
            Assert.Equal(1, condition.Notify()); // goes to the other waiter, not the cancelled one
            Assert.False(cancelled.IsCompleted); // it must take the lock back first, and we hold it
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await other;
        Assert.True(heldAfterCancel);
        Assert.True(notified);
        Assert.False(gate.IsLocked);
        Assert.Equal(new AsyncConditionStatistics(0, 1, 1), condition.GetStatistics());

        async Task WaiterAsync(CancellationToken token, Action after)
        {
            using (await gate.LockAsync())
            {
                try
                {
                    await condition.WaitAsync(token);
                }
                finally
                {
                    after();
                }
            }
        }
    }

    [Fact]
    public async Task Notified_waiters_retake_the_lock_in_notification_order_behind_earlier_lock_waiters()
    {
        var gate = new AsyncLock();
        var condition = new AsyncCondition(gate);
        var order = new List<string>();
        var waiters = Enumerable.Range(0, 3).Select(i => WaiterAsync($"W{i}")).ToArray();

        var holder = await gate.LockAsync();
        var plain = PlainAsync();          // queued for the lock before the notification
        Assert.Equal(3, condition.NotifyAll());
        Assert.Equal(4, gate.GetStatistics().WaitingCount); // the notified waiters joined the lock's queue
        holder.Dispose();
        await Task.WhenAll([.. waiters, plain]);
        Assert.Equal(["L", "W0", "W1", "W2"], order);

        async Task WaiterAsync(string name)
        {
            using (await gate.LockAsync())
            {
                await condition.WaitAsync();
                order.Add(name);
            }
        }

        async Task PlainAsync()
        {
            using (await gate.LockAsync())
            {
                order.Add("L");
            }
        }
    }

    [Fact]
    public async Task Randomized_cancellation_of_condition_waits_never_loses_a_notification()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var gate = new AsyncLock();
        var condition = new AsyncCondition(gate);
        var tokens = 0;
        var consumed = 0;
        long cancelled = 0;
        const int Items = 300;

        // Consumers wait for a token, with random cancellation; a producer adds one token per notify.
        using var stop = new CancellationTokenSource();
        var consumers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var local = new Random(seed + w + 1);
            while (true)
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                if (local.Next(3) == 0)
                {
                    _ = Task.Run(cts.Cancel);
                }

                using (await gate.LockAsync())
                {
                    try
                    {
                        await condition.WaitForAsync(() => tokens > 0 || stop.IsCancellationRequested, cts.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        Assert.True(gate.IsLocked);
                        Interlocked.Increment(ref cancelled);
                        if (stop.IsCancellationRequested)
                        {
                            return;
                        }

                        // No re-notify here: a cancelled wait consumed no notification, so none is owed.
                        continue;
                    }

                    if (tokens == 0)
                    {
                        return; // stopping
                    }

                    tokens--;
                    consumed++;
                }
            }
        })).ToArray();

        for (var i = 0; i < Items; i++)
        {
            using (await gate.LockAsync())
            {
                tokens++;
                condition.Notify();
            }

            if (random.Next(4) == 0)
            {
                await Task.Yield();
            }
        }

        // Wait until every token was consumed, then stop the consumers. A lost notification would leave a
        // token unconsumed with every consumer asleep: the guard turns that hang into a failure.
        var guard = Task.Delay(TimeSpan.FromSeconds(30));
        while (true)
        {
            Assert.False(guard.IsCompleted, $"a notification was lost: {tokens} tokens left, {consumed} consumed");
            using (await gate.LockAsync())
            {
                if (consumed == Items)
                {
                    await stop.CancelAsync();
                    condition.NotifyAll();
                    break;
                }
            }

            await Task.Yield();
        }

        await Task.WhenAll(consumers);
        output.WriteLine($"consumed {consumed}, cancelled waits {cancelled}");
        Assert.Equal(Items, consumed);
        Assert.Equal(0, tokens);
        Assert.False(gate.IsLocked);
    }

    [Fact]
    public void Waiting_or_notifying_without_the_lock_is_an_error()
    {
        var condition = new AsyncCondition(new AsyncLock());
        Assert.Throws<InvalidOperationException>(() => condition.Notify());
        Assert.Throws<InvalidOperationException>(() => { _ = condition.WaitAsync().AsTask(); });
        Assert.Throws<InvalidOperationException>(() => { _ = condition.WaitForAsync(() => true).AsTask(); });
    }

    [Fact]
    public async Task Bounded_buffer_on_a_condition_moves_every_item_exactly_once()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var gate = new AsyncLock();
        var notFull = new AsyncCondition(gate);
        var notEmpty = new AsyncCondition(gate);
        var buffer = new Queue<int>();
        const int Capacity = 4;
        const int PerProducer = 300;
        var received = new List<int>();

        var producers = Enumerable.Range(0, 3).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                using (await gate.LockAsync())
                {
                    await notFull.WaitForAsync(() => buffer.Count < Capacity);
                    Assert.True(buffer.Count < Capacity);
                    buffer.Enqueue((p * PerProducer) + i);
                    notEmpty.Notify();
                }
            }
        })).ToArray();

        var consumers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < PerProducer; i++)
            {
                using (await gate.LockAsync())
                {
                    await notEmpty.WaitForAsync(() => buffer.Count > 0);
                    received.Add(buffer.Dequeue());
                    notFull.Notify();
                }
            }
        })).ToArray();

        await Task.WhenAll(producers.Concat(consumers));
        Assert.Equal(Enumerable.Range(0, 3 * PerProducer), received.Order());
    }
}
