using Braid.Channels;
using Braid.Coordination;
using Braid.Loop;
using Braid.Tests.Shared;
using Braid.Tests.Support;

namespace Braid.Tests.Coordination;

/// <summary>
/// Every wait of the primitives, queues and channels that takes a token leaves no registration behind on a
/// long-lived token: once the wait has ended (handed what it waited for, failed by a close or shutdown, or
/// completed at once), the token's source has as many callbacks as before (System.Threading.Channels'
/// CancellationLeakTests, counted with <see cref="TokenRegistrations"/> rather than the GC). Each case runs off
/// a loop and on an autojumping loop.
/// </summary>
public sealed class CancellationLeakTests
{
    /// <summary>
    /// A case: <c>Start</c> begins one wait with the token (it must pend) and returns it with the action that ends
    /// it; <c>Fails</c> says whether that ending is a failure (a close, a shutdown) rather than a hand-off.
    /// </summary>
    public sealed record LeakCase(string Name, Func<CancellationToken, (Task Wait, Action End)> Start, bool Fails = false)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<LeakCase, bool> Cases()
    {
        var data = new TheoryData<LeakCase, bool>();
        foreach (var onLoop in new[] { false, true })
        {
            foreach (var c in AllCases())
            {
                data.Add(c, onLoop);
            }
        }

        return data;
    }

    private static IEnumerable<LeakCase> AllCases()
    {
        yield return new("AsyncLock.LockAsync", ct =>
        {
            var l = new AsyncLock();
            Assert.True(l.TryLock(out var held));
            return (Use(l.LockAsync(ct)), held.Dispose);
        });
        yield return new("AsyncSemaphore.WaitAsync", ct =>
        {
            var s = new AsyncSemaphore(0);
            return (s.WaitAsync(ct).AsTask(), () => s.Release());
        });
        yield return new("AsyncSemaphore.AcquireAsync", ct =>
        {
            var s = new AsyncSemaphore(0);
            return (Use(s.AcquireAsync(ct)), () => s.Release());
        });
        yield return new("CapacityLimiter.AcquireAsync", ct =>
        {
            var limiter = new CapacityLimiter(1);
            Assert.True(limiter.TryAcquire(out var held));
            return (Use(limiter.AcquireAsync(ct)), held.Dispose);
        });
        yield return new("CapacityLimiter.AcquireOnBehalfOfAsync", ct =>
        {
            var limiter = new CapacityLimiter(1);
            Assert.True(limiter.TryAcquire(out var held));
            return (Use(limiter.AcquireOnBehalfOfAsync(new object(), ct)), held.Dispose);
        });
        yield return new("AsyncEvent.WaitAsync", ct =>
        {
            var e = new AsyncEvent();
            return (e.WaitAsync(ct).AsTask(), e.Set);
        });
        yield return new("AsyncAutoResetEvent.WaitAsync", ct =>
        {
            var e = new AsyncAutoResetEvent();
            return (e.WaitAsync(ct).AsTask(), e.Set);
        });
        yield return new("AsyncCountdownEvent.WaitAsync", ct =>
        {
            var c = new AsyncCountdownEvent(1);
            return (c.WaitAsync(ct).AsTask(), () => c.Signal());
        });
        yield return new("AsyncBarrier.SignalAndWaitAsync", ct =>
        {
            var b = new AsyncBarrier(2);
            return (b.SignalAndWaitAsync(ct).AsTask(), () => Assert.True(b.TrySignalAndWait()));
        });
        yield return new("AsyncReaderWriterLock.ReaderLockAsync", ct =>
        {
            var rw = new AsyncReaderWriterLock();
            Assert.True(rw.TryWriterLock(out var writer));
            return (Use(rw.ReaderLockAsync(ct)), writer.Dispose);
        });
        yield return new("AsyncReaderWriterLock.WriterLockAsync", ct =>
        {
            var rw = new AsyncReaderWriterLock();
            Assert.True(rw.TryReaderLock(out var reader));
            return (Use(rw.WriterLockAsync(ct)), reader.Dispose);
        });
        yield return new("AsyncCondition.WaitAsync", ct =>
        {
            var l = new AsyncLock();
            var condition = new AsyncCondition(l);
            Assert.True(l.TryLock(out var held));
            var wait = condition.WaitAsync(ct).AsTask(); // releases the lock while it waits
            return (ReleaseAfter(wait, held), () => Notify(l, condition));
        });
        yield return new("AsyncCondition.WaitForAsync", ct =>
        {
            var l = new AsyncLock();
            var condition = new AsyncCondition(l);
            var ready = false;
            Assert.True(l.TryLock(out var held));
            var wait = condition.WaitForAsync(() => ready, ct).AsTask();
            return (ReleaseAfter(wait, held), () =>
            {
                ready = true;
                Notify(l, condition);
            }
            );
        });
        yield return new("AsyncQueue.GetAsync", ct =>
        {
            var q = new AsyncQueue<int>();
            return (q.GetAsync(ct).AsTask(), () => Assert.True(q.TryPut(1)));
        });
        yield return new("AsyncQueue.PutAsync", ct =>
        {
            var q = new AsyncQueue<int>(1);
            Assert.True(q.TryPut(0));
            return (q.PutAsync(1, ct).AsTask(), () => Assert.True(q.TryGet(out _)));
        });
        yield return new("AsyncQueue.JoinAsync", ct =>
        {
            var q = new AsyncQueue<int>();
            Assert.True(q.TryPut(0));
            Assert.True(q.TryGet(out _));
            return (q.JoinAsync(ct).AsTask(), q.TaskDone);
        });
        yield return new("AsyncQueue.GetAsync ended by shutdown", ct =>
        {
            var q = new AsyncQueue<int>();
            return (q.GetAsync(ct).AsTask(), () => q.Shutdown());
        }, Fails: true);
        yield return new("AsyncLifoQueue.GetAsync", ct =>
        {
            var q = new AsyncLifoQueue<int>();
            return (q.GetAsync(ct).AsTask(), () => Assert.True(q.TryPut(1)));
        });
        yield return new("AsyncPriorityQueue.PutAsync", ct =>
        {
            var q = new AsyncPriorityQueue<int, int>(1);
            Assert.True(q.TryPut(0, 0));
            return (q.PutAsync(1, 1, ct).AsTask(), () => Assert.True(q.TryGet(out _)));
        });
        yield return new("MemoryReceiveChannel.ReceiveAsync", ct =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (receive.ReceiveAsync(ct).AsTask(), () => Assert.True(send.TrySend(1)));
        });
        yield return new("MemorySendChannel.SendAsync", ct =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (send.SendAsync(1, ct).AsTask(), () => Assert.True(receive.TryReceive(out _)));
        });
        yield return new("MemoryReceiveChannel.ReceiveAsync ended by the last sender closing", ct =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (receive.ReceiveAsync(ct).AsTask(), send.Close);
        }, Fails: true);
        yield return new("MemorySendChannel.SendAsync ended by the last receiver closing", ct =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (send.SendAsync(1, ct).AsTask(), receive.Close);
        }, Fails: true);
        yield return new("MemoryReceiveChannel enumerator", ct =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (ReceiveOneAsync(receive, ct), () => Assert.True(send.TrySend(1)));
        });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public Task A_wait_that_ended_leaves_no_registration_on_its_token(LeakCase leakCase, bool onLoop) =>
        ContractLoop.RunAsync(onLoop, async () =>
        {
            using var longLived = new CancellationTokenSource();
            for (var round = 0; round < 3; round++)
            {
                var (wait, end) = leakCase.Start(longLived.Token);
                Assert.False(wait.IsCompleted, "the case must make the wait pend");
                end();
                if (leakCase.Fails)
                {
                    var failure = await Record.ExceptionAsync(() => wait);
                    Assert.NotNull(failure);
                    Assert.IsNotAssignableFrom<OperationCanceledException>(failure);
                }
                else
                {
                    await wait;
                }

                Assert.Equal(0, TokenRegistrations.Count(longLived));
            }
        });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task A_wait_that_completes_at_once_registers_nothing(bool onLoop) =>
        ContractLoop.RunAsync(onLoop, async () =>
        {
            using var longLived = new CancellationTokenSource();
            var token = longLived.Token;
            (await new AsyncLock().LockAsync(token)).Dispose();
            await new AsyncSemaphore(1).WaitAsync(token);
            (await new CapacityLimiter(1).AcquireAsync(token)).Dispose();
            await new AsyncEvent(initiallySet: true).WaitAsync(token);
            await new AsyncCountdownEvent(0).WaitAsync(token);
            await new AsyncBarrier(1).SignalAndWaitAsync(token);
            var q = new AsyncQueue<int>();
            await q.PutAsync(1, token);
            Assert.Equal(1, await q.GetAsync(token));
            q.TaskDone();
            await q.JoinAsync(token);
            var (send, receive) = MemoryChannel.Create<int>(1);
            await send.SendAsync(1, token);
            Assert.Equal(1, await receive.ReceiveAsync(token));
            Assert.Equal(0, TokenRegistrations.Count(longLived));
        });

    [Fact]
    public void WaitAllTasksBlockedAsync_leaves_no_registration_once_it_returns() =>
        Braid.Testing.LoopTest.Run(async _ =>
        {
            using var longLived = new CancellationTokenSource();
            for (var i = 0; i < 3; i++)
            {
                await AsyncLoop.Current!.WaitAllTasksBlockedAsync(longLived.Token);
                Assert.Equal(0, TokenRegistrations.Count(longLived));
            }
        });

    [Fact]
    public void FromThread_Run_leaves_no_registration_once_it_returns() =>
        Braid.Testing.LoopTest.Run(async _ =>
        {
            using var longLived = new CancellationTokenSource();
            var loop = AsyncLoop.Current!;
            var result = await ToThread.RunAsync(() => FromThread.Run(loop, () => Task.FromResult(42), longLived.Token));
            Assert.Equal(42, result);
            Assert.Equal(0, TokenRegistrations.Count(longLived));
        });

    private static async Task Use<TReleaser>(ValueTask<TReleaser> pending)
        where TReleaser : IDisposable => (await pending).Dispose();

    private static async Task ReleaseAfter(Task wait, AsyncLock.Releaser held)
    {
        await wait; // the condition wait has retaken the lock: release it
        held.Dispose();
    }

    private static void Notify(AsyncLock l, AsyncCondition condition)
    {
        Assert.True(l.TryLock(out var held));
        condition.NotifyAll();
        held.Dispose();
    }

    private static async Task ReceiveOneAsync(MemoryReceiveChannel<int> receive, CancellationToken cancellationToken)
    {
        await foreach (var _ in receive.WithCancellation(cancellationToken))
        {
            return;
        }
    }
}
