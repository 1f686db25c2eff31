using System.Collections.Concurrent;

namespace Braid.Diagnostics.Tests;

/// <summary>
/// Lock contention comes from the runtime's events on its own dispatch thread: the detector reports
/// the waiting thread, the lock and the lock's owner, and no stack.
/// </summary>
public sealed class LockConvoyTests
{
    private const int Contenders = 3;

    [Fact]
    public async Task A_lock_convoy_shows_every_waiter_and_the_owner_they_wait_for()
    {
        var contended = new ConcurrentDictionary<long, ConcurrentDictionary<long, BlockingEvent>>();
        var convoy = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var detector = BlockingDetector.Start(new BlockingDetectorOptions
        {
            OnBlocked = e =>
            {
                if (e.Kind == BlockingKind.MonitorContention)
                {
                    var waiters = contended.GetOrAdd(e.LockId!.Value, _ => new());
                    waiters[e.OsThreadId] = e;
                    if (waiters.Count == Contenders)
                    {
                        convoy.TrySetResult(e.LockId.Value);
                    }
                }
            },
        });

        var sharedLock = new object();
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var owner = Guard.StartThread(() =>
        {
            lock (sharedLock)
            {
                held.Set();
                release.Wait(Guard.Timeout);
            }
        });
        Assert.True(held.Wait(Guard.Timeout));
        var waiters = Enumerable.Range(0, Contenders).Select(_ => Guard.StartThread(() =>
        {
            lock (sharedLock)
            {
            }
        })).ToList();

        var lockId = await convoy.Task.WaitAsync(Guard.Timeout);
        release.Set();
        Guard.Join(owner);
        waiters.ForEach(Guard.Join);

        var events = contended[lockId].Values.ToList();
        var ownerThread = Assert.Single(events.Select(e => e.OwnerOsThreadId).Distinct());
        Assert.NotEqual(0, ownerThread);
        Assert.DoesNotContain(ownerThread, events.Select(e => (long?)e.OsThreadId));
        Assert.All(events, e =>
        {
            Assert.Null(e.StackTrace);
            Assert.Null(e.CallingMethod);
            Assert.StartsWith("lock 0x", e.CallSite, StringComparison.Ordinal);
        });
        Assert.Contains(detector.GetCallSites(), s => s.Kind == BlockingKind.MonitorContention && s.Name == events[0].CallSite && s.Count >= Contenders);
    }
}
