using Braid.Channels;
using Braid.Coordination;
using Braid.Instrumentation;
using Braid.Loop;
using Braid.Structured;
using Braid.Time;

namespace Braid.Diagnostics.Tests;

/// <summary>
/// Holders found in what suspended children keep (read locks, permits, receive ends, a child being
/// started), the cycles through them, the loops in the tree, and await chains read from the runtime's
/// async state machines.
/// </summary>
public sealed class TaskTreeHoldersTests
{
    [Fact]
    public void The_await_chain_walk_works_on_this_runtime()
    {
        // Reads private runtime fields (AsyncStateMachineBox.StateMachine, <>1__state, <>u__N, m_task, _obj):
        // if a runtime renames them, this fails loudly instead of the chains silently vanishing.
        Assert.True(TaskTree.AwaitChainsSupported, "the runtime's async state machine shapes changed: AwaitChains needs updating");
    }

    [Fact]
    public async Task A_child_awaiting_outer_middle_inner_on_an_event_shows_that_chain()
    {
        using var session = TaskTree.Start();
        var ready = new AsyncEvent();
        var queued = Queued(ready.Id, out var listener);
        using (listener)
        {
            var run = TaskGroup.RunAsync(g =>
            {
                g.Start(_ => Outer(ready), "chained");
                g.Start(_ => Outer(ready), "chained");
                return Task.CompletedTask;
            });
            await queued.WaitAsync(Guard.Timeout);
            await AllQueued(() => TaskTree.Capture().Children.Count(c => c.AwaitChain?.EndsWith($"AsyncEvent#{ready.Id}", StringComparison.Ordinal) == true) == 2);

            var tree = TaskTree.Capture();
            var chain = $"TaskTreeHoldersTests.Outer → TaskTreeHoldersTests.Middle → TaskTreeHoldersTests.Inner → AsyncEvent#{ready.Id}";
            Assert.All(tree.Children, c => Assert.Equal(chain, c.AwaitChain));
            var row = Assert.Single(TaskTree.Coalesce(tree.Children));
            Assert.Equal(2, row.Count);
            Assert.Contains($"waiting, ", tree.ToText(), StringComparison.Ordinal);
            Assert.Contains($"on AsyncEvent#{ready.Id} ×2 awaiting {chain}\n", tree.ToText(), StringComparison.Ordinal);
            Assert.EndsWith($"  {chain}\n", tree.ToTable(), StringComparison.Ordinal);
            Assert.Contains($"\"awaitChain\": \"{chain}\"", tree.ToJson(), StringComparison.Ordinal);

            ready.Set();
            await run.WaitAsync(Guard.Timeout);
        }
    }

    [Fact]
    public async Task A_writer_waiting_on_two_readers_is_held_by_both_and_a_reader_waiting_on_the_writer_makes_a_cycle()
    {
        using var session = TaskTree.Start();
        var rw = new AsyncReaderWriterLock();
        var gate = new AsyncLock();
        var readersIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readers = 0;
        var queued = Queued(gate.Id, out var listener);
        using (listener)
        {
            TaskGroup? group = null;
            var run = TaskGroup.RunAsync(g =>
            {
                group = g;
                g.Start(ct => LockThenWrite(rw, gate, readersIn.Task, ct), "w");
                g.Start(ct => ReadThenLock(rw, gate, readersIn, () => Interlocked.Increment(ref readers) == 2, ct), "r1");
                g.Start(ct => ReadThenLock(rw, gate, readersIn, () => Interlocked.Increment(ref readers) == 2, ct), "r2");
                return Task.CompletedTask;
            });
            await queued.WaitAsync(Guard.Timeout);
            await AllQueued(() => TaskTree.Capture().FindCycles().Count == 2);

            var tree = TaskTree.Capture();
            var writer = tree.Children.Single(c => c.Name == "w");
            Assert.Equal($"AsyncReaderWriterLock.Writer#{rw.Id}", $"{writer.WaitingOn!.Kind}#{writer.WaitingOn.PrimitiveId}");
            Assert.Equal(["child 2 'r1'", "child 3 'r2'"], writer.Holders);
            Assert.Equal(
                [
                    $"cycle: child 'w' → AsyncReaderWriterLock.Writer#{rw.Id} held by 'r1' → AsyncLock#{gate.Id} held by 'w'",
                    $"cycle: child 'w' → AsyncReaderWriterLock.Writer#{rw.Id} held by 'r2' → AsyncLock#{gate.Id} held by 'w'",
                ],
                tree.FindCycles().Select(c => c.ToString()));
            Assert.Contains($"on AsyncReaderWriterLock.Writer#{rw.Id} held by child 2 'r1', child 3 'r2'", tree.ToText(), StringComparison.Ordinal);

            group!.Cancel("deadlock broken by the test");
            await run.WaitAsync(Guard.Timeout);
        }
    }

    [Fact]
    public async Task A_semaphore_permit_held_by_the_only_taker_closes_a_cycle()
    {
        using var session = TaskTree.Start();
        var permits = new AsyncSemaphore(1);
        var gate = new AsyncLock();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = Queued(permits.Id, out var listener);
        using (listener)
        {
            TaskGroup? group = null;
            var run = TaskGroup.RunAsync(g =>
            {
                group = g;
                g.Start(ct => PermitThenLock(permits, gate, first, second.Task, ct), "p");
                g.Start(ct => LockThenPermit(permits, gate, second, first.Task, ct), "l");
                return Task.CompletedTask;
            });
            await queued.WaitAsync(Guard.Timeout);
            await AllQueued(() => TaskTree.Capture().FindCycles().Count == 1);

            var cycle = Assert.Single(TaskTree.Capture().FindCycles());
            Assert.Equal($"cycle: child 'p' → AsyncLock#{gate.Id} held by 'l' → AsyncSemaphore#{permits.Id} held by 'p'", cycle.ToString());

            group!.Cancel("deadlock broken by the test");
            await run.WaitAsync(Guard.Timeout);
        }
    }

    [Fact]
    public async Task A_send_at_rendezvous_waiting_on_a_receiver_that_waits_on_the_senders_lock_is_a_cycle()
    {
        using var session = TaskTree.Start();
        var (send, receive) = MemoryChannel.Create<int>(0);
        var gate = new AsyncLock();
        var locked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = Queued(gate.Id, out var listener);
        using (listener)
        {
            TaskGroup? group = null;
            var run = TaskGroup.RunAsync(g =>
            {
                group = g;
                g.Start(ct => LockThenSend(gate, send, locked, ct), "sender");
                g.Start(ct => LockThenReceive(gate, receive, locked.Task, ct), "receiver");
                return Task.CompletedTask;
            });
            await queued.WaitAsync(Guard.Timeout);
            await AllQueued(() => TaskTree.Capture().FindCycles().Count == 1);

            var tree = TaskTree.Capture();
            var cycle = Assert.Single(tree.FindCycles());
            Assert.Equal($"cycle: child 'sender' → MemoryChannel.Sender#{send.Id} held by 'receiver' → AsyncLock#{gate.Id} held by 'sender'", cycle.ToString());
            Assert.EndsWith(cycle + "\n", tree.ToText(), StringComparison.Ordinal);

            group!.Cancel("deadlock broken by the test");
            await run.WaitAsync(Guard.Timeout);
        }
    }

    [Fact]
    public async Task A_start_async_caller_holding_the_lock_its_child_needs_before_started_is_a_cycle()
    {
        using var session = TaskTree.Start();
        var gate = new AsyncLock();
        var queued = Queued(gate.Id, out var listener);
        using (listener)
        {
            TaskGroup? group = null;
            long innerId = 0;
            var run = TaskGroup.RunAsync(g =>
            {
                group = g;
                g.Start(
                    async ct =>
                    {
                        using (await gate.LockAsync(ct))
                        {
                            await TaskGroup.RunAsync(
                                async inner =>
                                {
                                    innerId = inner.Id;
                                    await inner.StartAsync<int>(
                                        async (started, token) =>
                                        {
                                            using (await gate.LockAsync(token))
                                            {
                                                started.Started(1);
                                            }
                                        },
                                        "server",
                                        ct);
                                },
                                cancellationToken: ct);
                        }
                    },
                    "parent");
                return Task.CompletedTask;
            });
            await queued.WaitAsync(Guard.Timeout);
            await AllQueued(() => TaskTree.Capture().FindCycles().Count == 1);

            var tree = TaskTree.Capture();
            var cycle = Assert.Single(tree.FindCycles());
            Assert.Equal($"cycle: child 'parent' → TaskGroup.StartAsync#{innerId} held by 'server' → AsyncLock#{gate.Id} held by 'parent'", cycle.ToString());

            group!.Cancel("deadlock broken by the test");
            // The group ends either way: whether the body's cancelled StartAsync counts as a failure depends on which cancellation arrives first.
            await Task.WhenAny(run).WaitAsync(Guard.Timeout);
            Assert.True(run.IsCompleted);
        }
    }

    [Fact]
    public void A_loop_shows_its_pending_steps_timers_and_the_groups_running_on_it_as_text_json_and_csv()
    {
        var clock = new VirtualClock();
        using var session = TaskTree.Start(clock);
        string text = string.Empty, json = string.Empty, csv = string.Empty;
        long loopId = 0, groupId = 0;
        AsyncLoop.Run(
            async () =>
            {
                loopId = AsyncLoop.Current!.Id;
                await TaskGroup.RunAsync(
                    async g =>
                    {
                        groupId = g.Id;
                        g.Start(async ct => await Task.Delay(TimeSpan.FromSeconds(5), clock, ct), "sleeper");
                        var tree = TaskTree.Capture();
                        text = tree.ToText();
                        json = tree.ToJson();
                        csv = tree.ToCsv();
                        g.Cancel("done");
                    },
                    new TaskGroupOptions { Name = "on loop" });
            },
            new AsyncLoopOptions { TimeProvider = clock, Debug = false });

        Assert.Equal(
            $"""
            loop #{loopId} (0 pending steps, 1 timer, 0 steps run)
            └── task group #{groupId} 'on loop' (running, 0 ms)
                └── child 1 'sleeper' (running, 0 ms) awaiting TaskTreeHoldersTests.A_loop_shows_its_pending_steps_timers_and_the_groups_running_on_it_as_text_json_and_csv.lambda → Task.Delay

            """.ReplaceLineEndings("\n"),
            text);
        Assert.Equal(
            $"""
            task,name,group,group_name,state,age_ms,waits_on,waits_on_id,held_by,held_by_name,count,loop,awaited_by,await_chain
            1,sleeper,{groupId},on loop,running,0,,,,,1,{loopId},,TaskTreeHoldersTests.A_loop_shows_its_pending_steps_timers_and_the_groups_running_on_it_as_text_json_and_csv.lambda → Task.Delay

            """.ReplaceLineEndings("\n"),
            csv);
        Assert.Equal(
            $$"""
            {
              "loops": [
                {
                  "id": {{loopId}},
                  "pendingSteps": 0,
                  "activeTimers": 1,
                  "stepsRun": 0,
                  "debug": false,
                  "groups": [
                    {
                      "id": {{groupId}},
                      "name": "on loop",
                      "state": "running",
                      "ageMs": 0,
                      "children": [
                        {
                          "id": 1,
                          "name": "sleeper",
                          "state": "running",
                          "ageMs": 0,
                          "count": 1,
                          "awaitChain": "TaskTreeHoldersTests.A_loop_shows_its_pending_steps_timers_and_the_groups_running_on_it_as_text_json_and_csv.lambda → Task.Delay",
                          "groups": []
                        }
                      ],
                      "groups": []
                    }
                  ]
                }
              ],
              "groups": [],
              "cycles": []
            }
            """.ReplaceLineEndings("\n"),
            json.ReplaceLineEndings("\n"));
        Assert.Empty(TaskTree.Capture().Loops);
    }

    [Fact]
    public async Task A_child_that_released_what_it_held_before_its_next_await_is_not_a_holder()
    {
        using var session = TaskTree.Start();
        var gate = new AsyncLock();
        var rw = new AsyncReaderWriterLock();
        var permits = new AsyncSemaphore(1);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = 0;
        var allQueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = BraidInstrumentation.Subscribe(e =>
        {
            if (e.Kind == BraidEventKind.WaiterQueued && Interlocked.Increment(ref queued) == 3)
            {
                allQueued.TrySetResult();
            }
        });

        var run = TaskGroup.RunAsync(g =>
        {
            // Its releasers live across an await, so they are hoisted into its state machine, then released before it awaits `later`.
            g.Start(ct => TakeAwaitRelease(gate, rw, permits, released, later.Task, ct), "released");
            g.Start(
                async ct =>
                {
                    await released.Task;
                    await TakeAndHold(gate, rw, permits, holding, release.Task, ct);
                },
                "holds");
            g.Start(
                async ct =>
                {
                    await holding.Task;
                    g.Start(async c => { using (await gate.LockAsync(c)) { } }, "lock waiter");
                    g.Start(async c => { using (await rw.ReaderLockAsync(c)) { } }, "read waiter");
                    g.Start(async c => { using (await permits.AcquireAsync(c)) { } }, "permit waiter");
                },
                "starter");
            return Task.CompletedTask;
        });
        await allQueued.Task.WaitAsync(Guard.Timeout);
        await AllQueued(() => TaskTree.Capture().Children.Count(c => c.WaitingOn is not null) == 3);

        var tree = TaskTree.Capture();
        Assert.Equal(
            ["lock waiter child 2 'holds'", "read waiter child 2 'holds'", "permit waiter child 2 'holds'"],
            tree.Children.Where(c => c.WaitingOn is not null).Select(c => $"{c.Name} {string.Join(", ", c.Holders)}"));
        release.SetResult();
        later.SetResult();
        await run.WaitAsync(Guard.Timeout);
    }

    // Takes all three and awaits inside (so the releasers are hoisted), releases them, then awaits `after`.
    private static async Task TakeAwaitRelease(AsyncLock gate, AsyncReaderWriterLock rw, AsyncSemaphore permits, TaskCompletionSource done, Task after, CancellationToken ct)
    {
        using (await gate.LockAsync(ct))
        using (await rw.WriterLockAsync(ct))
        using (await permits.AcquireAsync(ct))
        {
            await Task.Yield();
        }

        done.SetResult();
        await after;
    }

    private static async Task TakeAndHold(AsyncLock gate, AsyncReaderWriterLock rw, AsyncSemaphore permits, TaskCompletionSource holding, Task release, CancellationToken ct)
    {
        using (await gate.LockAsync(ct))
        using (await rw.WriterLockAsync(ct))
        using (await permits.AcquireAsync(ct))
        {
            holding.SetResult();
            await release;
        }
    }

    private static async Task Outer(AsyncEvent ready) => await Middle(ready);

    private static async Task Middle(AsyncEvent ready) => await Inner(ready);

    private static async Task Inner(AsyncEvent ready) => await ready.WaitAsync();

    private static async Task ReadThenLock(AsyncReaderWriterLock rw, AsyncLock gate, TaskCompletionSource readersIn, Func<bool> last, CancellationToken ct)
    {
        using (await rw.ReaderLockAsync(ct))
        {
            if (last())
            {
                readersIn.SetResult();
            }

            using (await gate.LockAsync(ct))
            {
            }
        }
    }

    private static async Task LockThenWrite(AsyncReaderWriterLock rw, AsyncLock gate, Task readersIn, CancellationToken ct)
    {
        using (await gate.LockAsync(ct))
        {
            await readersIn;
            using (await rw.WriterLockAsync(ct))
            {
            }
        }
    }

    private static async Task PermitThenLock(AsyncSemaphore permits, AsyncLock gate, TaskCompletionSource mine, Task theirs, CancellationToken ct)
    {
        using (await permits.AcquireAsync(ct))
        {
            mine.SetResult();
            await theirs;
            using (await gate.LockAsync(ct))
            {
            }
        }
    }

    private static async Task LockThenPermit(AsyncSemaphore permits, AsyncLock gate, TaskCompletionSource mine, Task theirs, CancellationToken ct)
    {
        using (await gate.LockAsync(ct))
        {
            mine.SetResult();
            await theirs;
            using (await permits.AcquireAsync(ct))
            {
            }
        }
    }

    private static async Task LockThenSend(AsyncLock gate, MemorySendChannel<int> send, TaskCompletionSource locked, CancellationToken ct)
    {
        using (await gate.LockAsync(ct))
        {
            locked.SetResult();
            await send.SendAsync(1, ct);
        }
    }

    private static async Task LockThenReceive(AsyncLock gate, MemoryReceiveChannel<int> receive, Task locked, CancellationToken ct)
    {
        await locked;
        using (await gate.LockAsync(ct))
        {
            await receive.ReceiveAsync(ct);
        }
    }

    // Completes once a waiter queued on the primitive `id`.
    private static Task Queued(long id, out IDisposable listener)
    {
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener = BraidInstrumentation.Subscribe(e =>
        {
            if (e.Kind == BraidEventKind.WaiterQueued && e.SourceId == id)
            {
                queued.TrySetResult();
            }
        });
        return queued.Task;
    }

    // The other waits queue on other threads: wait for the tree to show them all, by polling the
    // capture on yields (no sleeping), within the guard.
    private static async Task AllQueued(Func<bool> done)
    {
        var guard = Task.Delay(Guard.Timeout);
        while (!done())
        {
            Assert.False(guard.IsCompleted, "the expected waits never all queued");
            await Task.Yield();
        }
    }
}
