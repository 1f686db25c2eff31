using Braid.Channels;
using Braid.Tests.Support;

namespace Braid.Tests.Channels;

/// <summary>Trio's memory channel contract, run once per capacity: 0 (rendezvous), 1, N and unbounded.</summary>
public abstract class MemoryChannelContractTests
{
    /// <summary>Whether this variant runs every test on an <c>AsyncLoop</c> with an autojumping clock (rule 36).</summary>
    protected virtual bool OnLoop => false;

    private Task RunContract(Func<Task> body, bool usesThreads = false) => ContractLoop.RunAsync(OnLoop, body, usesThreads);

    private Task CancelAsync(CancellationTokenSource source) => ContractLoop.CancelAsync(OnLoop, source);

    protected abstract int Capacity { get; }

    private bool Rendezvous => Capacity == 0;

    private bool Bounded => Capacity != MemoryChannel.Unbounded;

    private (MemorySendChannel<int> Send, MemoryReceiveChannel<int> Receive) Create() => MemoryChannel.Create<int>(Capacity);

    // Fills the buffer so that the next send waits (bounded capacities only).
    private static void Fill(MemorySendChannel<int> send, int capacity)
    {
        for (var i = 0; i < capacity; i++)
        {
            Assert.True(send.TrySend(100 + i));
        }

        Assert.False(send.TrySend(-1));
    }

    [Fact]
    public Task Items_arrive_in_order_and_buffered_sends_complete_synchronously() => RunContract(async () =>
    {
        var (send, receive) = Create();
        var n = Rendezvous ? 3 : Math.Min(Capacity, 5);
        var sends = new List<Task>();
        for (var i = 0; i < n; i++)
        {
            var pending = send.SendAsync(i).AsTask();
            Assert.Equal(!Rendezvous, pending.IsCompletedSuccessfully);
            sends.Add(pending);
        }

        Assert.Equal(Rendezvous ? n : 0, send.GetStatistics().TasksWaitingSend);
        var got = new List<int>();
        for (var i = 0; i < n; i++)
        {
            got.Add(Sync.Completed(receive.ReceiveAsync()));
        }

        await Task.WhenAll(sends).Within();
        Assert.Equal(Enumerable.Range(0, n), got);
    });

    [Fact]
    public Task A_rendezvous_send_completes_only_when_a_receiver_takes_the_item() => RunContract(async () =>
    {
        if (!Rendezvous)
        {
            return;
        }

        var (send, receive) = Create();
        Assert.False(send.TrySend(1)); // nobody is receiving
        var pending = send.SendAsync(1);
        Assert.False(pending.IsCompleted);
        Assert.Equal(0, send.GetStatistics().CurrentBufferUsed);
        Assert.True(receive.TryReceive(out var item));
        Assert.Equal(1, item);
        await pending.Within();

        var waitingReceive = receive.ReceiveAsync();
        Assert.True(send.TrySend(2)); // a waiting receiver takes it at once
        Assert.Equal(2, await waitingReceive.Within());
    });

    [Fact]
    public Task A_waiting_receiver_gets_the_item_directly_and_receivers_are_served_in_order() => RunContract(async () =>
    {
        var (send, receive) = Create();
        var second = receive.Clone();
        var r1 = receive.ReceiveAsync().AsTask();
        var r2 = second.ReceiveAsync().AsTask();
        Assert.Equal(2, send.GetStatistics().TasksWaitingReceive);

        Sync.Completed(send.SendAsync(1));
        Sync.Completed(send.SendAsync(2));

        Assert.Equal(1, await r1.Within());
        Assert.Equal(2, await r2.Within());
        var stats = send.GetStatistics();
        Assert.Equal((0, 0), (stats.TasksWaitingReceive, stats.CurrentBufferUsed));
    });

    [Fact]
    public Task Receivers_drain_the_buffer_after_the_last_sender_closes_then_see_the_end() => RunContract(async () =>
    {
        var (send, receive) = Create();
        var clone = send.Clone();
        var n = Rendezvous ? 0 : Math.Min(Capacity, 3);
        for (var i = 0; i < n; i++)
        {
            Assert.True(send.TrySend(i));
        }

        send.Close();
        Assert.Equal(1, receive.GetStatistics().OpenSendChannels);
        var waiting = Rendezvous ? receive.ReceiveAsync().AsTask() : null;
        using (clone)
        {
        }

        Assert.Equal(0, receive.GetStatistics().OpenSendChannels);

        if (waiting is not null)
        {
            await Assert.ThrowsAsync<EndOfChannelException>(() => waiting.Within());
        }

        var got = new List<int>();
        await foreach (var item in receive)
        {
            got.Add(item);
        }

        Assert.Equal(Enumerable.Range(0, n), got);
        await Assert.ThrowsAsync<EndOfChannelException>(() => receive.ReceiveAsync().Within());
        Assert.Throws<EndOfChannelException>(() => receive.TryReceive(out _));
    });

    [Fact]
    public Task Senders_get_broken_resource_once_every_receiver_is_closed() => RunContract(async () =>
    {
        var (send, receive) = Create();
        var clone = receive.Clone();
        receive.Close();
        Assert.Equal(1, send.GetStatistics().OpenReceiveChannels);

        Task? waitingSend = null;
        if (Bounded)
        {
            Fill(send, Capacity);
            waitingSend = send.SendAsync(7).AsTask();
            Assert.Equal(1, send.GetStatistics().TasksWaitingSend);
        }

        clone.Close();

        if (waitingSend is not null)
        {
            await Assert.ThrowsAsync<BrokenResourceException>(() => waitingSend.Within());
        }

        await Assert.ThrowsAsync<BrokenResourceException>(() => send.SendAsync(8).Within());
        Assert.Throws<BrokenResourceException>(() => send.TrySend(9));
        var stats = send.GetStatistics();
        Assert.Equal((0, 0, 0), (stats.OpenReceiveChannels, stats.TasksWaitingSend, stats.CurrentBufferUsed));
    });

    [Fact]
    public Task A_closed_clone_refuses_everything_and_close_is_idempotent() => RunContract(async () =>
    {
        var (send, receive) = Create();
        var otherSend = send.Clone();
        var otherReceive = receive.Clone();
        send.Close();
        send.Close();
        receive.Close();
        receive.Close();

        Assert.True(send.IsClosed);
        await Assert.ThrowsAsync<ClosedResourceException>(() => send.SendAsync(1).Within());
        Assert.Throws<ClosedResourceException>(() => send.TrySend(1));
        Assert.Throws<ClosedResourceException>(() => send.Clone());
        await Assert.ThrowsAsync<ClosedResourceException>(() => receive.ReceiveAsync().Within());
        Assert.Throws<ClosedResourceException>(() => receive.TryReceive(out _));
        Assert.Throws<ClosedResourceException>(() => receive.Clone());

        // The other clones are untouched.
        var stats = otherSend.GetStatistics();
        Assert.Equal((1, 1), (stats.OpenSendChannels, stats.OpenReceiveChannels));
        var received = otherReceive.ReceiveAsync();
        await otherSend.SendAsync(5).Within();
        Assert.Equal(5, await received.Within());
    });

    [Fact]
    public Task Closing_a_clone_fails_only_its_own_waiters() => RunContract(async () =>
    {
        var (send, receive) = Create();
        var other = receive.Clone();
        var mine = receive.ReceiveAsync().AsTask();
        var theirs = other.ReceiveAsync().AsTask();

        receive.Close();

        await Assert.ThrowsAsync<ClosedResourceException>(() => mine.Within());
        Assert.False(theirs.IsCompleted);
        Assert.Equal(1, send.GetStatistics().TasksWaitingReceive);
        Assert.True(send.TrySend(3));
        Assert.Equal(3, await theirs.Within());

        if (Bounded)
        {
            var otherSend = send.Clone();
            Fill(send, Capacity);
            var mySend = send.SendAsync(10).AsTask();
            var theirSend = otherSend.SendAsync(20).AsTask();
            send.Close();
            await Assert.ThrowsAsync<ClosedResourceException>(() => mySend.Within());
            Assert.False(theirSend.IsCompleted);
            var got = new List<int>();
            for (var i = 0; i < Capacity + 1; i++)
            {
                got.Add(await other.ReceiveAsync().Within());
            }

            await theirSend.Within();
            Assert.DoesNotContain(10, got);
            Assert.Equal(20, got[^1]);
        }
    });

    [Fact]
    public Task A_receiver_cancelled_while_queued_took_nothing() => RunContract(async () =>
    {
        var (send, receive) = Create();
        using var cts = new CancellationTokenSource();
        var cancelled = receive.ReceiveAsync(cts.Token);
        var next = receive.ReceiveAsync();
        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.Equal(1, send.GetStatistics().TasksWaitingReceive);
        Assert.True(send.TrySend(4));
        Assert.Equal(4, await next.Within());
    });

    [Fact]
    public Task A_receiver_cancelled_at_the_moment_of_hand_off_is_skipped() => RunContract(async () =>
    {
        var (send, receive) = Create();
        using var cts = new CancellationTokenSource();
        var cancelled = receive.ReceiveAsync(cts.Token);
        var next = receive.ReceiveAsync();
        var sentDuringCancel = false;
        using var race = cts.Token.Register(() => sentDuringCancel = send.TrySend(9));

        await CancelAsync(cts);

        Assert.True(sentDuringCancel);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.Equal(9, await next.Within());
        Assert.Equal(0, send.GetStatistics().CurrentBufferUsed);
    });

    [Fact]
    public Task A_sender_cancelled_while_queued_sent_nothing() => RunContract(async () =>
    {
        if (!Bounded)
        {
            return;
        }

        var (send, receive) = Create();
        Fill(send, Capacity);
        using var cts = new CancellationTokenSource();
        var cancelled = send.SendAsync(1000, cts.Token);
        var next = send.SendAsync(2000);
        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.Equal(1, send.GetStatistics().TasksWaitingSend);

        var got = new List<int>();
        for (var i = 0; i < Capacity + 1; i++)
        {
            got.Add(await receive.ReceiveAsync().Within());
        }

        await next.Within();
        Assert.False(receive.TryReceive(out _));
        Assert.Equal(Enumerable.Range(100, Capacity).Append(2000), got);
    });

    [Fact]
    public Task A_sender_cancelled_at_the_moment_of_hand_off_is_skipped() => RunContract(async () =>
    {
        if (!Bounded)
        {
            return;
        }

        var (send, receive) = Create();
        Fill(send, Capacity);
        using var cts = new CancellationTokenSource();
        var cancelled = send.SendAsync(1000, cts.Token);
        var next = send.SendAsync(2000);
        var received = new List<int>();
        using var race = cts.Token.Register(() =>
        {
            if (receive.TryReceive(out var item))
            {
                received.Add(item);
            }
        });

        await CancelAsync(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.Single(received);
        await next.Within();
        for (var i = 0; i < Capacity; i++)
        {
            received.Add(await receive.ReceiveAsync().Within());
        }

        Assert.False(receive.TryReceive(out _));
        Assert.Equal(Enumerable.Range(100, Capacity).Append(2000), received);
    });

    [Fact]
    public Task Await_foreach_ends_when_senders_close_while_it_waits() => RunContract(async () =>
    {
        var (send, receive) = Create();
        var got = new List<int>();
        var reader = Task.Run(async () =>
        {
            await foreach (var item in receive)
            {
                got.Add(item);
            }
        });

        for (var i = 0; i < 20; i++)
        {
            await send.SendAsync(i).Within();
        }

        send.Close();
        await reader.Within();
        Assert.Equal(Enumerable.Range(0, 20), got);
    }, usesThreads: true);

    [Fact]
    public Task Cancelling_an_await_foreach_took_nothing_and_leaves_the_channel_open() => RunContract(async () =>
    {
        var (send, receive) = Create();
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = Task.Run(async () =>
        {
            started.SetResult();
            await foreach (var item in receive.WithCancellation(cts.Token))
            {
                Assert.Fail($"nothing was sent, yet {item} arrived");
            }
        });
        await started.Task.Within();
        for (var spins = 0; send.GetStatistics().TasksWaitingReceive == 0; spins++)
        {
            Assert.True(spins < 10_000_000, "the loop never queued a receive");
            await Task.Yield(); // the statistics are the oracle: wait until the loop is queued
        }

        await CancelAsync(cts);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop.Within());

        var next = receive.ReceiveAsync();
        Assert.True(send.TrySend(1));
        Assert.Equal(1, await next.Within());
        Assert.Equal((1, 1, 0), (send.GetStatistics().OpenSendChannels, send.GetStatistics().OpenReceiveChannels, send.GetStatistics().TasksWaitingReceive));
    }, usesThreads: true);

    [Fact]
    public void Statistics_report_buffer_peak_clones_and_waiters()
    {
        var (send, receive) = Create();
        var n = Rendezvous ? 0 : Math.Min(Capacity, 3);
        for (var i = 0; i < n; i++)
        {
            Assert.True(send.TrySend(i));
        }

        if (n > 0)
        {
            Assert.True(receive.TryReceive(out _));
        }

        var sendClone = send.Clone();
        var receiveClone = receive.Clone();
        var stats = receive.GetStatistics();
        Assert.Equal(new MemoryChannelStatistics(Math.Max(n - 1, 0), Capacity, n, 2, 2, 0, 0), stats);
        Assert.Equal(send.Id, receive.Id);
        Assert.Equal(sendClone.Id, receiveClone.Id);
    }

    [Fact]
    public void The_uncontended_path_allocates_nothing()
    {
        if (Rendezvous)
        {
            return; // every rendezvous send waits or meets a waiting receiver
        }

        var (send, receive) = Create();
        Sync.Completed(send.SendAsync(0));
        _ = Sync.Completed(receive.ReceiveAsync());
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Sync.Completed(send.SendAsync(i));
            _ = Sync.Completed(receive.ReceiveAsync());
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_negative_capacity_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryChannel.Create<int>(-1));
    }
}

public class RendezvousMemoryChannelTests : MemoryChannelContractTests
{
    protected override int Capacity => 0;
}

public class CapacityOneMemoryChannelTests : MemoryChannelContractTests
{
    protected override int Capacity => 1;
}

public class CapacityFourMemoryChannelTests : MemoryChannelContractTests
{
    protected override int Capacity => 4;
}

public class UnboundedMemoryChannelTests : MemoryChannelContractTests
{
    protected override int Capacity => MemoryChannel.Unbounded;
}

public sealed class RendezvousMemoryChannelOnLoopTests : RendezvousMemoryChannelTests
{
    protected override bool OnLoop => true;
}

public sealed class CapacityOneMemoryChannelOnLoopTests : CapacityOneMemoryChannelTests
{
    protected override bool OnLoop => true;
}

public sealed class CapacityFourMemoryChannelOnLoopTests : CapacityFourMemoryChannelTests
{
    protected override bool OnLoop => true;
}

public sealed class UnboundedMemoryChannelOnLoopTests : UnboundedMemoryChannelTests
{
    protected override bool OnLoop => true;
}
