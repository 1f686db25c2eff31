using Braid.Channels;
using Braid.Coordination;
using Braid.Loop;
using Braid.Structured;
using Braid.Testing;
using Braid.Tests.Support;
using Braid.Time;

namespace Braid.Tests.Coordination;

/// <summary>
/// Design rule 36: a woken waiter is a step of the loop it waits on. A release, set, notify, put or send that
/// wakes a waiter queued on an <see cref="AsyncLoop"/> posts the waiter's continuation to that loop, in release
/// order, before the releasing step ends; so wait-until-all-blocked and autojump see it as runnable and never
/// move time past it. Every primitive, queue and channel that waits is covered, through <see cref="WakeKind"/>.
/// </summary>
public class LoopWakeTests
{
    /// <summary>A way to queue waiters (<c>Wait</c>, called once per waiter) and to wake all of them from one step (<c>ReleaseAll</c>).</summary>
    public sealed record WakeKind(string Name, Func<(Func<Task> Wait, Action ReleaseAll)> Create)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<WakeKind> Kinds()
    {
        var data = new TheoryData<WakeKind>();
        foreach (var kind in AllKinds())
        {
            data.Add(kind);
        }

        return data;
    }

    // A kind is built per test: (how to wait once, how to wake every queued waiter from one step).
    private static IEnumerable<WakeKind> AllKinds()
    {
        yield return Kind("AsyncEvent.Set", () =>
        {
            var e = new AsyncEvent();
            return (async () => await e.WaitAsync(), e.Set);
        });
        yield return Kind("AsyncAutoResetEvent.Set per waiter", () =>
        {
            var e = new AsyncAutoResetEvent();
            return (async () => await e.WaitAsync(), () =>
            {
                for (var i = 0; i < Waiters; i++)
                {
                    e.Set();
                }
            }
            );
        });
        yield return Kind("AsyncCountdownEvent.Signal", () =>
        {
            var c = new AsyncCountdownEvent(1);
            return (async () => await c.WaitAsync(), () => c.Signal());
        });
        yield return Kind("AsyncBarrier phase", () =>
        {
            var b = new AsyncBarrier(Waiters + 1);
            return (async () => await b.SignalAndWaitAsync(), () => Assert.True(b.TrySignalAndWait()));
        });
        yield return Kind("AsyncSemaphore.Release(n)", () =>
        {
            var s = new AsyncSemaphore(0);
            return (async () => await s.WaitAsync(), () => s.Release(Waiters));
        });
        yield return Kind("AsyncLock hand-off chain", () =>
        {
            var l = new AsyncLock();
            Assert.True(l.TryLock(out var held));
            return (async () => (await l.LockAsync()).Dispose(), held.Dispose);
        });
        yield return Kind("CapacityLimiter hand-off chain", () =>
        {
            var limiter = new CapacityLimiter(1);
            Assert.True(limiter.TryAcquire(out var held));
            return (async () => (await limiter.AcquireAsync()).Dispose(), held.Dispose);
        });
        yield return Kind("AsyncReaderWriterLock readers after a writer", () =>
        {
            var rw = new AsyncReaderWriterLock();
            Assert.True(rw.TryWriterLock(out var writer));
            return (async () => (await rw.ReaderLockAsync()).Dispose(), writer.Dispose);
        });
        yield return Kind("AsyncCondition.NotifyAll", () =>
        {
            var l = new AsyncLock();
            var condition = new AsyncCondition(l);
            return (
                async () =>
                {
                    using (await l.LockAsync())
                    {
                        await condition.WaitAsync();
                    }
                },
                () =>
                {
                    Assert.True(l.TryLock(out var held));
                    Assert.Equal(Waiters, condition.NotifyAll());
                    held.Dispose();
                }
            );
        });
        yield return Kind("AsyncCondition.WaitForAsync", () =>
        {
            var l = new AsyncLock();
            var condition = new AsyncCondition(l);
            var ready = false;
            return (
                async () =>
                {
                    using (await l.LockAsync())
                    {
                        await condition.WaitForAsync(() => ready);
                    }
                },
                () =>
                {
                    Assert.True(l.TryLock(out var held));
                    ready = true;
                    condition.NotifyAll();
                    held.Dispose();
                }
            );
        });
        yield return Kind("AsyncQueue getters", () =>
        {
            var q = new AsyncQueue<int>();
            return (async () => await q.GetAsync(), () =>
            {
                for (var i = 0; i < Waiters; i++)
                {
                    Assert.True(q.TryPut(i));
                }
            }
            );
        });
        yield return Kind("AsyncQueue putters", () =>
        {
            var q = new AsyncQueue<int>(1);
            Assert.True(q.TryPut(-1));
            return (async () => await q.PutAsync(1), () =>
            {
                for (var i = 0; i <= Waiters; i++)
                {
                    Assert.True(q.TryGet(out _));
                }
            }
            );
        });
        yield return Kind("Memory channel receivers", () =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (async () => await receive.ReceiveAsync(), () =>
            {
                for (var i = 0; i < Waiters; i++)
                {
                    Assert.True(send.TrySend(i));
                }
            }
            );
        });
        yield return Kind("Memory channel enumerators", () =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (
                async () =>
                {
                    await foreach (var _ in receive)
                    {
                        return;
                    }
                },
                () =>
                {
                    for (var i = 0; i < Waiters; i++)
                    {
                        Assert.True(send.TrySend(i));
                    }
                }
            );
        });
        yield return Kind("Memory channel senders", () =>
        {
            var (send, receive) = MemoryChannel.Create<int>(0);
            return (async () => await send.SendAsync(1), () =>
            {
                for (var i = 0; i < Waiters; i++)
                {
                    Assert.True(receive.TryReceive(out _));
                }
            }
            );
        });
    }

    private const int Waiters = 8;

    private static WakeKind Kind(string name, Func<(Func<Task> Wait, Action ReleaseAll)> create) => new(name, create);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Woken_waiters_are_queued_loop_steps_that_resume_in_release_order_with_no_time_passing(WakeKind kind) =>
        LoopTest.Run(async clock =>
        {
            for (var round = 0; round < 10; round++)
            {
                // A timer far ahead: if the loop ever looked idle while a wake was pending, autojump would fire it.
                using var tripwire = new CancellationTokenSource();
                var tripped = ContractLoop.TripAsync(clock, tripwire.Token);

                var (wait, releaseAll) = kind.Create();
                var order = new List<int>();
                var waiters = new List<Task>();
                for (var i = 0; i < Waiters; i++)
                {
                    var index = i;
                    waiters.Add(RecordAsync(wait, index, order));
                }

                await LoopTest.WaitAllTasksBlockedAsync();
                Assert.Empty(order);

                var loop = AsyncLoop.Current!;
                releaseAll();

                // Before the releasing step ends, the wake is already a step the loop can see.
                Assert.True(loop.GetStatistics().QueueLength >= 1, $"round {round}: no wake was queued on the loop by the release");
                Assert.Empty(order);

                await LoopTest.WaitAllTasksBlockedAsync();
                Assert.Equal(Enumerable.Range(0, Waiters), order);
                await Task.WhenAll(waiters);
                Assert.Equal(TimeSpan.Zero, clock.Elapsed);

#pragma warning disable VSTHRD103 // Cancel, not CancelAsync: on an autojumping loop CancelAsync runs callbacks where the loop cannot see them.
                tripwire.Cancel();
#pragma warning restore VSTHRD103
                Assert.False(await tripped);
            }
        });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Autojump_never_passes_a_deadline_while_a_released_waiter_is_runnable(WakeKind kind) =>
        LoopTest.Run(async clock =>
        {
            for (var round = 0; round < 10; round++)
            {
                var start = clock.Elapsed;
                await CancelScope.FailAfterAsync(
                    TimeSpan.FromSeconds(5),
                    async _ =>
                    {
                        var (wait, releaseAll) = kind.Create();
                        var waiters = Enumerable.Range(0, Waiters).Select(async _ =>
                        {
                            await wait();
                            await clock.DelayAsync(TimeSpan.FromSeconds(1));
                        }).ToList();
                        await LoopTest.WaitAllTasksBlockedAsync();
                        releaseAll();
                        await Task.WhenAll(waiters);
                    },
                    clock);
                Assert.Equal(TimeSpan.FromSeconds(1), clock.Elapsed - start);
            }
        });

    [Fact]
    public void A_ConfigureAwait_false_awaiter_on_the_loop_resumes_inside_the_wake_step_on_the_loop_thread() =>
        LoopTest.Run(async clock =>
        {
            var loopThread = Environment.CurrentManagedThreadId;
            var e = new AsyncEvent();
            var resumedOn = -1;
            AsyncLoop? resumedLoop = null;
            var waiter = WaitAsync();
            await LoopTest.WaitAllTasksBlockedAsync();
            e.Set();
            await LoopTest.WaitAllTasksBlockedAsync();

            Assert.Equal(loopThread, resumedOn);
            Assert.Same(AsyncLoop.Current, resumedLoop);
            await waiter;
            Assert.Equal(TimeSpan.Zero, clock.Elapsed);

            async Task WaitAsync()
            {
                await e.WaitAsync().ConfigureAwait(false);
                resumedOn = Environment.CurrentManagedThreadId;
                resumedLoop = AsyncLoop.Current;
            }
        });

    [Fact]
    public void A_condition_predicate_is_evaluated_on_the_loop_thread_every_time() =>
        LoopTest.Run(async clock =>
        {
            var loopThread = Environment.CurrentManagedThreadId;
            var gate = new AsyncLock();
            var condition = new AsyncCondition(gate);
            var value = 0;
            var evaluatedOn = new List<int>();
            var waiter = WaitForThreeAsync();
            for (var i = 1; i <= 3; i++)
            {
                await LoopTest.WaitAllTasksBlockedAsync();
                using (await gate.LockAsync())
                {
                    value = i;
                    condition.NotifyAll();
                }
            }

            await waiter;
            Assert.Equal(3, evaluatedOn.Count); // once before waiting, then after each of the first two notifications
            Assert.All(evaluatedOn, thread => Assert.Equal(loopThread, thread));
            Assert.Equal(TimeSpan.Zero, clock.Elapsed);

            async Task WaitForThreeAsync()
            {
                using (await gate.LockAsync())
                {
                    await condition.WaitForAsync(() =>
                    {
                        evaluatedOn.Add(Environment.CurrentManagedThreadId);
                        return value >= 2;
                    });
                }
            }
        });

    [Fact]
    public void A_waiter_queued_on_the_loop_but_awaited_on_another_thread_resumes_off_the_loop() =>
        LoopTest.Run(async _ =>
        {
            var loopThread = Environment.CurrentManagedThreadId;
            var l = new AsyncLock();
            Assert.True(l.TryLock(out var held));
            var pending = l.LockAsync(); // queued from the loop
            var resumedOn = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var elsewhere = new Thread(() => resumedOn.SetResult(AwaitOffTheLoop(pending)));
            elsewhere.Start();
            held.Dispose();

            var thread = await resumedOn.Task;
            Assert.NotEqual(loopThread, thread);
            Assert.False(l.IsLocked);

            static int AwaitOffTheLoop(ValueTask<AsyncLock.Releaser> pending)
            {
                var done = new ManualResetEventSlim();
                var thread = -1;
                var awaiter = pending.GetAwaiter();
                awaiter.UnsafeOnCompleted(() =>
                {
                    thread = Environment.CurrentManagedThreadId;
#pragma warning disable VSTHRD002 // The awaiter has completed: this reads its result.
                    awaiter.GetResult().Dispose();
#pragma warning restore VSTHRD002
                    done.Set();
                });
                done.Wait();
                return thread;
            }
        });

    [Fact]
    public void A_release_between_IsCompleted_and_OnCompleted_is_already_a_queued_step_and_resumes_once_on_the_loop() =>
        LoopTest.Run(async clock =>
        {
            var loop = AsyncLoop.Current!;
            var loopThread = Environment.CurrentManagedThreadId;
            var e = new AsyncEvent();
            var pending = e.WaitAsync();
            var awaiter = pending.GetAwaiter();
            Assert.False(awaiter.IsCompleted);

            // The release lands from another thread in the gap; this step blocks for it on purpose.
            var releaser = new Thread(e.Set);
            releaser.Start();
            releaser.Join();
            Assert.Equal(1, loop.GetStatistics().QueueLength);
            Assert.False(awaiter.IsCompleted); // completed by the step, which cannot run before this one ends

            var resumed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var runs = 0;
            awaiter.UnsafeOnCompleted(() =>
            {
                runs++;
#pragma warning disable VSTHRD002 // The awaiter has completed: this reads its result.
                awaiter.GetResult();
#pragma warning restore VSTHRD002
                resumed.SetResult(Environment.CurrentManagedThreadId);
            });

            Assert.Equal(loopThread, await resumed.Task);
            await LoopTest.WaitAllTasksBlockedAsync();
            Assert.Equal(1, runs);
            Assert.Equal(TimeSpan.Zero, clock.Elapsed);
        });

    [Fact]
    public void A_cancelled_wait_on_the_loop_completes_as_a_loop_step_too() =>
        LoopTest.Run(async clock =>
        {
            var e = new AsyncEvent();
            using var cts = new CancellationTokenSource();
            var waiter = Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await e.WaitAsync(cts.Token));
            await LoopTest.WaitAllTasksBlockedAsync();
            var loop = AsyncLoop.Current!;
#pragma warning disable VSTHRD103 // Cancel, not CancelAsync: the point is that the cancelling step queues the wake.
            cts.Cancel();
#pragma warning restore VSTHRD103
            Assert.Equal(1, loop.GetStatistics().QueueLength);
            await waiter;
            Assert.Equal(TimeSpan.Zero, clock.Elapsed);
        });

    private static async Task RecordAsync(Func<Task> wait, int index, List<int> order)
    {
        await wait();
        order.Add(index);
    }
}
