using Braid.Channels;
using Braid.Coordination;
using Braid.Instrumentation;
using Braid.Structured;

namespace Braid.Diagnostics.Tests;

/// <summary>
/// The task tree of programs whose state is set up step by step: each test starts children that park
/// on tasks it completes itself, sets the ages on a clock it controls, and captures the tree while they
/// are parked.
/// </summary>
public sealed class TaskTreeTests
{
    [Fact]
    public async Task A_known_nesting_prints_exactly_as_a_tree_a_table_json_and_csv()
    {
        var clock = new ManualTimeProvider();
        using var session = TaskTree.Start(clock);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new AsyncLock();
        long appId = 0, connectionsId = 0;

        // Everything below runs synchronously inside RunAsync: the children park on `release` or on the lock.
        var app = TaskGroup.RunAsync(
            async g =>
            {
                appId = g.Id;
                g.Start(
                    async ct => await TaskGroup.RunAsync(
                        inner =>
                        {
                            connectionsId = inner.Id;
                            for (var i = 0; i < 3; i++)
                            {
                                inner.Start(_ => release.Task, "worker");
                            }

                            return Task.CompletedTask;
                        },
                        new TaskGroupOptions { Name = "connections" },
                        ct),
                    "server");
                clock.Set(TimeSpan.FromSeconds(1));
                g.Start(
                    async ct =>
                    {
                        using (await gate.LockAsync(ct))
                        {
                            await release.Task;
                        }
                    },
                    "holder");
                g.Start(
                    async ct =>
                    {
                        using (await gate.LockAsync(ct))
                        {
                        }
                    },
                    "waiter");
                await release.Task;
            },
            new TaskGroupOptions { Name = "app" });
        clock.Set(TimeSpan.FromSeconds(3.5));

        var tree = TaskTree.Capture();
        const string Lambda = $"{nameof(TaskTreeTests)}.{nameof(A_known_nesting_prints_exactly_as_a_tree_a_table_json_and_csv)}.lambda";

        Assert.Equal(
            $"""
            task group #{appId} 'app' (running, 3.5 s)
            ├── child 1 'server' (running, 3.5 s) awaiting {Lambda} → Task
            │   └── task group #{connectionsId} 'connections' (running, 3.5 s)
            │       └── child 2 'worker' (running, 3.5 s) ×3
            ├── child 5 'holder' (running, 2.5 s) awaiting {Lambda} → Task
            └── child 6 'waiter' (waiting, 2.5 s) on AsyncLock#{gate.Id} held by child 5 'holder' awaiting {Lambda} → AsyncLock#{gate.Id}

            """.ReplaceLineEndings("\n"),
            tree.ToText());
        AssertTable(
            $"""
            task  name    group                  state    age    waits on     held by     count  awaited by  await chain
            1     server  #{appId} 'app'         running  3.5 s  -            -           1      -           {Lambda} → Task
            2     worker  #{connectionsId} 'connections'  running  3.5 s  -            -           3      1 'server'  -
            5     holder  #{appId} 'app'         running  2.5 s  -            -           1      -           {Lambda} → Task
            6     waiter  #{appId} 'app'         waiting  2.5 s  AsyncLock#{gate.Id}  5 'holder'  1      -           {Lambda} → AsyncLock#{gate.Id}

            """.ReplaceLineEndings("\n"),
            tree.ToTable());
        Assert.Equal(
            $"""
            task,name,group,group_name,state,age_ms,waits_on,waits_on_id,held_by,held_by_name,count,loop,awaited_by,await_chain
            1,server,{appId},app,running,3500,,,,,1,,,{Lambda} → Task
            2,worker,{connectionsId},connections,running,3500,,,,,3,,child 1 'server',
            5,holder,{appId},app,running,2500,,,,,1,,,{Lambda} → Task
            6,waiter,{appId},app,waiting,2500,AsyncLock,{gate.Id},5,holder,1,,,{Lambda} → AsyncLock#{gate.Id}

            """.ReplaceLineEndings("\n"),
            tree.ToCsv());
        Assert.Equal(
            $$"""
            {
              "loops": [],
              "groups": [
                {
                  "id": {{appId}},
                  "name": "app",
                  "state": "running",
                  "ageMs": 3500,
                  "children": [
                    {
                      "id": 1,
                      "name": "server",
                      "state": "running",
                      "ageMs": 3500,
                      "count": 1,
                      "awaitChain": "{{Lambda}} → Task",
                      "groups": [
                        {
                          "id": {{connectionsId}},
                          "name": "connections",
                          "state": "running",
                          "ageMs": 3500,
                          "children": [
                            {
                              "id": 2,
                              "name": "worker",
                              "state": "running",
                              "ageMs": 3500,
                              "count": 3,
                              "awaitedBy": "child 1 'server'",
                              "groups": []
                            }
                          ],
                          "groups": []
                        }
                      ]
                    },
                    {
                      "id": 5,
                      "name": "holder",
                      "state": "running",
                      "ageMs": 2500,
                      "count": 1,
                      "awaitChain": "{{Lambda}} → Task",
                      "groups": []
                    },
                    {
                      "id": 6,
                      "name": "waiter",
                      "state": "waiting",
                      "ageMs": 2500,
                      "count": 1,
                      "waitsOn": {
                        "kind": "AsyncLock",
                        "id": {{gate.Id}},
                        "heldBy": 5
                      },
                      "awaitChain": "{{Lambda}} → AsyncLock#{{gate.Id}}",
                      "groups": []
                    }
                  ],
                  "groups": []
                }
              ],
              "cycles": []
            }
            """.ReplaceLineEndings("\n"),
            tree.ToJson().ReplaceLineEndings("\n"));

        release.SetResult();
        await app.WaitAsync(Guard.Timeout);
        Assert.Equal(string.Empty, TaskTree.Capture().ToText());
    }

    [Fact]
    public async Task Two_children_taking_two_locks_in_opposite_orders_are_reported_as_a_cycle()
    {
        using var session = TaskTree.Start();
        var first = new AsyncLock();
        var second = new AsyncLock();
        var firstHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bothQueued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = 0;
        using var listener = BraidInstrumentation.Subscribe(e =>
        {
            if (e.Kind == BraidEventKind.WaiterQueued && (e.SourceId == first.Id || e.SourceId == second.Id) && Interlocked.Increment(ref queued) == 2)
            {
                bothQueued.TrySetResult();
            }
        });
        TaskGroup? group = null;

        var run = TaskGroup.RunAsync(g =>
        {
            group = g;
            g.Start(async ct => await TakeBoth(first, firstHeld, secondHeld.Task, second, ct), "a");
            g.Start(async ct => await TakeBoth(second, secondHeld, firstHeld.Task, first, ct), "b");
            return Task.CompletedTask;
        });
        await bothQueued.Task.WaitAsync(Guard.Timeout);

        var tree = TaskTree.Capture();
        var cycle = Assert.Single(tree.FindCycles());

        Assert.Equal(["a", "b"], cycle.Children.Select(c => c.Name));
        Assert.Equal($"cycle: child 'a' → AsyncLock#{second.Id} held by 'b' → AsyncLock#{first.Id} held by 'a'", cycle.ToString());
        Assert.EndsWith(cycle + "\n", tree.ToText(), StringComparison.Ordinal);
        Assert.Contains($"\"text\": \"{cycle}\"", tree.ToJson(), StringComparison.Ordinal);

        group!.Cancel("deadlock broken by the test");
        await run.WaitAsync(Guard.Timeout);
        Assert.Empty(TaskTree.Capture().FindCycles());
    }

    [Fact]
    public async Task A_lock_handed_to_a_queued_child_is_held_by_that_child()
    {
        using var session = TaskTree.Start();
        var gate = new AsyncLock();
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondHolds = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseSecond = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = TaskGroup.RunAsync(g =>
        {
            g.Start(async ct => await Hold(gate, null, releaseFirst.Task, ct), "first");
            g.Start(async ct => await Hold(gate, secondHolds, releaseSecond.Task, ct), "second");
            g.Start(async ct => await Hold(gate, null, Task.CompletedTask, ct), "third");
            return Task.CompletedTask;
        });
        Assert.Equal(
            [$"second AsyncLock#{gate.Id} held by first", $"third AsyncLock#{gate.Id} held by first"],
            Waits(TaskTree.Capture()));

        releaseFirst.SetResult();
        await secondHolds.Task.WaitAsync(Guard.Timeout);

        Assert.Equal([$"third AsyncLock#{gate.Id} held by second"], Waits(TaskTree.Capture()));
        releaseSecond.SetResult();
        await run.WaitAsync(Guard.Timeout);
    }

    [Fact]
    public async Task A_reader_waits_on_the_write_lock_held_by_the_writer_child()
    {
        using var session = TaskTree.Start();
        var rw = new AsyncReaderWriterLock();
        var releaseWriter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = TaskGroup.RunAsync(g =>
        {
            g.Start(
                async ct =>
                {
                    using (await rw.WriterLockAsync(ct))
                    {
                        await releaseWriter.Task;
                    }
                },
                "writer");
            g.Start(
                async ct =>
                {
                    using (await rw.ReaderLockAsync(ct))
                    {
                    }
                },
                "reader");
            return Task.CompletedTask;
        });

        Assert.Equal([$"reader AsyncReaderWriterLock.Reader#{rw.Id} held by writer"], Waits(TaskTree.Capture()));
        releaseWriter.SetResult();
        await run.WaitAsync(Guard.Timeout);
    }

    [Fact]
    public async Task Children_waiting_on_a_queue_a_channel_and_an_event_show_what_they_wait_on()
    {
        using var session = TaskTree.Start();
        var queue = new AsyncQueue<int>();
        var (send, receive) = MemoryChannel.Create<int>(0);
        var ready = new AsyncEvent();
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
            g.Start(async ct => { await queue.GetAsync(ct); }, "getter");
            g.Start(async ct => { await receive.ReceiveAsync(ct); }, "receiver");
            g.Start(async ct => await ready.WaitAsync(ct), "waiter");
            return Task.CompletedTask;
        });
        await allQueued.Task.WaitAsync(Guard.Timeout);

        Assert.Equal(
            [$"getter AsyncQueue.Getter#{queue.Id} held by ", $"receiver MemoryChannel.Receiver#{receive.Id} held by ", $"waiter AsyncEvent#{ready.Id} held by "],
            Waits(TaskTree.Capture()).Order());
        await queue.PutAsync(1);
        await send.SendAsync(2);
        ready.Set();
        await run.WaitAsync(Guard.Timeout);
        Assert.Empty(Waits(TaskTree.Capture()));
    }

    [Fact]
    public async Task A_child_that_never_finishes_stays_in_the_tree_with_its_age()
    {
        var clock = new ManualTimeProvider();
        using var session = TaskTree.Start(clock);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long groupId = 0;
        var run = TaskGroup.RunAsync(
            g =>
            {
                groupId = g.Id;
                g.Start(_ => Task.CompletedTask, "finishes");
                g.Start(_ => never.Task, "leaked");
                return Task.CompletedTask;
            },
            new TaskGroupOptions { Name = "jobs" });
        clock.Set(TimeSpan.FromMinutes(5));

        var tree = TaskTree.Capture();

        Assert.Equal(
            $"""
            task group #{groupId} 'jobs' (running, 300.0 s)
            └── child 2 'leaked' (running, 300.0 s)

            """.ReplaceLineEndings("\n"),
            tree.ToText());
        Assert.False(run.IsCompleted);

        never.SetResult();
        await run.WaitAsync(Guard.Timeout);
    }

    [Fact]
    public async Task Without_a_session_the_core_records_nothing_even_while_instrumentation_is_on()
    {
        Assert.False(LiveTasks.IsRecording);
        var events = 0;
        using var listener = BraidInstrumentation.Subscribe(_ => Interlocked.Increment(ref events)); // the flag is on
        var recorded = LiveTasks.RecordedCount;
        var gate = new AsyncLock();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = TaskGroup.RunAsync(g =>
        {
            g.Start(async ct =>
            {
                using (await gate.LockAsync(ct))
                {
                    await release.Task;
                }
            });
            g.Start(async ct =>
            {
                using (await gate.LockAsync(ct))
                {
                }
            });
            return Task.CompletedTask;
        });

        Assert.Empty(TaskTree.Capture().Children);
        release.SetResult();
        await run.WaitAsync(Guard.Timeout);

        Assert.Equal(recorded, LiveTasks.RecordedCount);
        Assert.True(events > 0, "the instrumentation flag was on: the registry's entry points were reached");
    }

    [Fact]
    public void Only_one_session_runs_at_a_time()
    {
        using (TaskTree.Start())
        {
            var error = Assert.Throws<InvalidOperationException>(() => TaskTree.Start());
            Assert.Contains("already running", error.Message, StringComparison.Ordinal);
        }

        using (TaskTree.Start())
        {
            Assert.True(LiveTasks.IsRecording);
        }

        Assert.False(LiveTasks.IsRecording);
    }

    private static async Task Hold(AsyncLock gate, TaskCompletionSource? holding, Task release, CancellationToken ct)
    {
        using (await gate.LockAsync(ct))
        {
            holding?.SetResult();
            await release;
        }
    }

    private static string[] Waits(TaskTree tree) =>
        [.. tree.Children.Where(c => c.WaitingOn is not null).Select(c => $"{c.Name} {c.WaitingOn!.Kind}#{c.WaitingOn.PrimitiveId} held by {c.HolderName}")];

    private static async Task TakeBoth(AsyncLock mine, TaskCompletionSource held, Task otherHeld, AsyncLock theirs, CancellationToken ct)
    {
        using (await mine.LockAsync(ct))
        {
            held.SetResult();
            await otherHeld;
            using (await theirs.LockAsync(ct))
            {
            }
        }
    }

    // The table pads its columns to their widest cell: compare it with two spaces between columns.
    private static void AssertTable(string expected, string actual) =>
        Assert.Equal(Unpad(expected.ReplaceLineEndings("\n")), Unpad(actual));

    private static string Unpad(string table) =>
        string.Join("\n", table.Split('\n').Select(line => System.Text.RegularExpressions.Regex.Replace(line, " {2,}", "  ")));
}
