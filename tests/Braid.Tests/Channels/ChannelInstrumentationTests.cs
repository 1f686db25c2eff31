using Braid.Channels;
using Braid.Instrumentation;
using Braid.Tests.Instrumentation;

namespace Braid.Tests.Channels;

// Subscriptions are process-wide: run beside no other instrumentation test.
[Collection(nameof(InstrumentationCollection))]
public sealed class ChannelInstrumentationTests
{
    [Fact]
    public async Task Queue_waiters_raise_queued_released_and_cancelled_events()
    {
        var queue = new AsyncQueue<int>();
        var seen = new List<BraidEventKind>();
        using (BraidInstrumentation.Subscribe(e =>
        {
            if (e.SourceId == queue.Id)
            {
                lock (seen)
                {
                    seen.Add(e.Kind);
                }
            }
        }))
        {
            var served = queue.GetAsync();
            Assert.True(queue.TryPut(1));
            Assert.Equal(1, await served.Within());

            using var cts = new CancellationTokenSource();
            var cancelled = queue.GetAsync(cts.Token);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        }

        Assert.Equal(
            [BraidEventKind.WaiterQueued, BraidEventKind.WaiterReleased, BraidEventKind.WaiterQueued, BraidEventKind.WaiterCancelled],
            seen);
    }

    [Fact]
    public async Task Channel_waiters_raise_events_with_the_channel_id()
    {
        var (send, receive) = MemoryChannel.Create<int>(0);
        var kinds = new List<BraidEventKind>();
        using (BraidInstrumentation.Subscribe(e =>
        {
            if (e.SourceId == send.Id)
            {
                lock (kinds)
                {
                    kinds.Add(e.Kind);
                }
            }
        }))
        {
            var sent = send.SendAsync(5);
            Assert.Equal(5, await receive.ReceiveAsync().Within());
            await sent.Within();
        }

        Assert.Equal([BraidEventKind.WaiterQueued, BraidEventKind.WaiterReleased], kinds);
    }
}
