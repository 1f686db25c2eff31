using Braid.Coordination;
using Braid.Instrumentation;
using Braid.Tests.Instrumentation;

namespace Braid.Tests.Coordination;

[Collection(nameof(InstrumentationCollection))]
public sealed class InstrumentationEventTests
{
    [Fact]
    public async Task Queued_released_and_cancelled_waiters_raise_events_when_someone_listens()
    {
        var gate = new AsyncLock();
        var seen = new List<BraidEventKind>();
        using (BraidInstrumentation.Subscribe(e =>
        {
            if (e.SourceId == gate.Id)
            {
                lock (seen)
                {
                    seen.Add(e.Kind);
                }
            }
        }))
        {
            var holder = await gate.LockAsync();
            using var cts = new CancellationTokenSource();
            var cancelled = gate.LockAsync(cts.Token).AsTask();
            var next = gate.LockAsync().AsTask();
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            holder.Dispose();
            (await next).Dispose();
        }

        Assert.Equal(
            [BraidEventKind.WaiterQueued, BraidEventKind.WaiterQueued, BraidEventKind.WaiterCancelled, BraidEventKind.WaiterReleased],
            seen);
    }
}
