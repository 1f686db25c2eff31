using Braid.Coordination;
using Braid.Pipelines;
using Braid.Structured;

namespace Braid.Tracing.Target;

/// <summary>
/// A program for <c>braid ps</c>, <c>braid trace</c> and <c>braid top</c> to look at from outside
/// (docs/tracing.md). Each scenario builds a known async state, prints <c>ready PID</c>, answers each <c>ping</c>
/// line on its standard input with <c>pong</c>, and exits when its standard input closes.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>chain</c> (default): a plain chain <c>Program.Main → Orders.ServeAsync → Orders.LoadAsync →
/// Orders.FetchAsync</c> awaiting a <c>TaskCompletionSource</c>, and a task group <c>app</c> whose child
/// <c>server</c> opened a group <c>connections</c> of three <c>worker</c> children, plus a child
/// <c>holder</c> holding an <c>AsyncLock</c> that a child <c>waiter</c> is queued on.</item>
/// <item><c>starve</c>: 40 requests at a time that block pool threads on <c>.Result</c> (a starving service), forever.</item>
/// <item><c>convoy</c>: four threads taking turns on one <c>lock</c>, each holding it for a millisecond, forever.</item>
/// <item><c>deadlock</c>: a task group <c>app</c> whose children <c>a</c> and <c>b</c> each hold one <c>AsyncLock</c> and wait for the other's: a wait-for cycle.</item>
/// <item><c>pipeline</c>: a <c>Braid.Pipelines</c> pipeline <c>orders</c> (a source that yields three items then waits,
/// <c>parse</c>, <c>enrich</c> with two workers, <c>save</c>) whose <c>enrich</c> workers are each blocked on an item,
/// awaiting a <c>TaskCompletionSource</c>; the other stages wait for input.</item>
/// <item><c>permits</c>: a task group <c>app</c> whose child <c>a</c> holds the one permit of an <c>AsyncSemaphore</c> and
/// awaits the write lock of an <c>AsyncReaderWriterLock</c> whose read lock child <c>b</c> holds while it awaits the permit.</item>
/// <item><c>many N MB</c>: N pending chains of three async methods each, and about MB megabytes of other live objects (for the benchmark).</item>
/// <item><c>cpu [STEPS]</c>: idle until a <c>run</c> line, which runs a fixed CPU-heavy async workload (64 tasks, each STEPS
/// steps of hashing 16 KiB then yielding; 100 by default) and answers <c>cpu MS wall MS checksum N</c>: the process's own CPU
/// time for the run (every thread, the runtime's tracing threads included). For the trace-overhead benchmark.</item>
/// </list>
/// </remarks>
internal static class Program
{
    private static readonly TaskCompletionSource Never = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<int> Main(string[] args)
    {
        var scenario = args.Length > 0 ? args[0] : "chain";
        Task work = scenario switch
        {
            "chain" => Orders.ServeAsync(Never.Task),
            "starve" => Starving.RunAsync(),
            "convoy" => Convoy.RunAsync(),
            "deadlock" => Deadlock.RunAsync(),
            "permits" => Permits.RunAsync(),
            "pipeline" => Stages.RunAsync(Never.Task),
            "many" => Many.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000, Never.Task, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 0),
            "cpu" => Task.CompletedTask,
            _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
        };
        var app = scenario == "chain" ? Groups.RunAsync(Never.Task) : Task.CompletedTask;
        await (scenario == "chain" ? Groups.Ready : scenario == "deadlock" ? Deadlock.Ready : scenario == "permits" ? Permits.Ready : scenario == "pipeline" ? Stages.Ready : Task.CompletedTask).ConfigureAwait(false);

        // Main always goes async here, so it is a pending method too (running: it reads its input).
        await Task.Yield();
        Console.WriteLine($"ready {Environment.ProcessId}");
        // Answers "ping" with "pong" until standard input closes: tests check it still runs after braid detached (or was killed).
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line == "ping")
            {
                Console.WriteLine("pong");
            }
            else if (line == "run" && scenario == "cpu")
            {
                Console.WriteLine(await CpuWork.MeasureAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100).ConfigureAwait(false));
            }
        }

        return 0;
    }
}

/// <summary>A plain async chain, no Braid: what any .NET service looks like to <c>braid ps</c>.</summary>
internal static class Orders
{
    public static async Task ServeAsync(Task gate)
    {
        await LoadAsync(gate).ConfigureAwait(false);
    }

    public static async Task<int> LoadAsync(Task gate)
    {
        return await FetchAsync(gate).ConfigureAwait(false) + 1;
    }

    public static async Task<int> FetchAsync(Task gate)
    {
        await gate.ConfigureAwait(false);
        return 41;
    }
}

/// <summary>Braid's task groups: the names <c>braid ps</c> reads through the diagnostic contract.</summary>
internal static class Groups
{
    private static readonly TaskCompletionSource ReadySource = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Ready => ReadySource.Task;

    public static Task RunAsync(Task gate) => TaskGroup.RunAsync(
        async app =>
        {
            var started = new CountdownEvent(5);
            var gateLock = new AsyncLock();
            app.Start(ct => ServeConnectionsAsync(gate, started), "server");
            app.Start(
                async ct =>
                {
                    using (await gateLock.LockAsync(ct).ConfigureAwait(false))
                    {
                        started.Signal();
                        await gate.ConfigureAwait(false);
                    }
                },
                "holder");
            while (!gateLock.GetStatistics().IsLocked)
            {
                await Task.Yield();
            }

            app.Start(
                async ct =>
                {
                    var waiting = gateLock.LockAsync(ct);
                    started.Signal();
                    using (await waiting.ConfigureAwait(false))
                    {
                    }
                },
                "waiter");
            await Task.Run(() => started.Wait()).ConfigureAwait(false);
            ReadySource.TrySetResult();
        },
        new TaskGroupOptions { Name = "app" });

    private static Task ServeConnectionsAsync(Task gate, CountdownEvent started) => TaskGroup.RunAsync(
        connections =>
        {
            for (var i = 0; i < 3; i++)
            {
                connections.Start(
                    async ct =>
                    {
                        started.Signal();
                        await WorkAsync(gate).ConfigureAwait(false);
                    },
                    "worker");
            }

            return Task.CompletedTask;
        },
        new TaskGroupOptions { Name = "connections" });

    private static async Task WorkAsync(Task gate) => await gate.ConfigureAwait(false);
}

/// <summary>Two children taking two locks in opposite orders: a deadlock.</summary>
internal static class Deadlock
{
    private static readonly TaskCompletionSource ReadySource = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Ready => ReadySource.Task;

    public static Task RunAsync()
    {
        var first = new AsyncLock();
        var second = new AsyncLock();
        var bothHeld = new CountdownEvent(2);
        _ = TaskGroup.RunAsync(
            app =>
            {
                app.Start(ct => TakeBothAsync(first, second, bothHeld, ct), "a");
                app.Start(ct => TakeBothAsync(second, first, bothHeld, ct), "b");
                return Task.CompletedTask;
            },
            new TaskGroupOptions { Name = "app" });
        _ = Task.Run(async () =>
        {
            bothHeld.Wait();
            while (first.GetStatistics().WaitingCount + second.GetStatistics().WaitingCount < 2)
            {
                await Task.Yield();
            }

            ReadySource.TrySetResult();
        });
        return Task.CompletedTask;
    }

    private static async Task TakeBothAsync(AsyncLock mine, AsyncLock theirs, CountdownEvent bothHeld, CancellationToken ct)
    {
        using (await mine.LockAsync(ct).ConfigureAwait(false))
        {
            bothHeld.Signal();
            await Task.Run(() => bothHeld.Wait(), ct).ConfigureAwait(false);
            using (await theirs.LockAsync(ct).ConfigureAwait(false))
            {
            }
        }
    }
}

/// <summary>A pipeline whose <c>enrich</c> stage is blocked: what <c>braid ps</c> shows of Braid.Pipelines' stages.</summary>
internal static class Stages
{
    private static readonly TaskCompletionSource ReadySource = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly TaskCompletionSource SourceWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Ready => Task.WhenAll(ReadySource.Task, SourceWaiting.Task);

    public static Task RunAsync(Task gate)
    {
        var blocked = 0;
        _ = Pipeline.From(ct => SourceAsync(gate, ct), new PipelineOptions { Name = "orders" })
            .Map(i => i * 2, new StageOptions { Name = "parse" })
            .Map(
                async (i, ct) =>
                {
                    if (Interlocked.Increment(ref blocked) == 2)
                    {
                        ReadySource.TrySetResult();
                    }

                    await EnrichAsync(gate).ConfigureAwait(false);
                    return i;
                },
                new StageOptions { Name = "enrich", Workers = 2, Ordered = false })
            .Map(i => i + 1, new StageOptions { Name = "save" })
            .RunAsync(_ => { }, CancellationToken.None);
        return Task.CompletedTask;
    }

    private static async IAsyncEnumerable<int> SourceAsync(Task gate, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < 3; i++)
        {
            yield return i;
        }

        SourceWaiting.TrySetResult();
        await gate.WaitAsync(ct).ConfigureAwait(false);
        yield return -1;
    }

    private static async Task EnrichAsync(Task gate) => await gate.ConfigureAwait(false);
}

/// <summary>A permit and a read lock taken in opposite orders: a deadlock through a semaphore and a reader-writer lock.</summary>
internal static class Permits
{
    private static readonly TaskCompletionSource ReadySource = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Ready => ReadySource.Task;

    public static Task RunAsync()
    {
        var permits = new AsyncSemaphore(1);
        var table = new AsyncReaderWriterLock();
        var bothHeld = new CountdownEvent(2);
        _ = TaskGroup.RunAsync(
            app =>
            {
                app.Start(ct => PermitThenWriteAsync(permits, table, bothHeld, ct), "a");
                app.Start(ct => ReadThenPermitAsync(permits, table, bothHeld, ct), "b");
                return Task.CompletedTask;
            },
            new TaskGroupOptions { Name = "app" });
        _ = Task.Run(async () =>
        {
            bothHeld.Wait();
            while (permits.GetStatistics().WaitingCount + table.GetStatistics().WaitingWriters < 2)
            {
                await Task.Yield();
            }

            ReadySource.TrySetResult();
        });
        return Task.CompletedTask;
    }

    private static async Task PermitThenWriteAsync(AsyncSemaphore permits, AsyncReaderWriterLock table, CountdownEvent bothHeld, CancellationToken ct)
    {
        using (await permits.AcquireAsync(ct).ConfigureAwait(false))
        {
            bothHeld.Signal();
            await Task.Run(() => bothHeld.Wait(), ct).ConfigureAwait(false);
            using (await table.WriterLockAsync(ct).ConfigureAwait(false))
            {
            }
        }
    }

    private static async Task ReadThenPermitAsync(AsyncSemaphore permits, AsyncReaderWriterLock table, CountdownEvent bothHeld, CancellationToken ct)
    {
        using (await table.ReaderLockAsync(ct).ConfigureAwait(false))
        {
            bothHeld.Signal();
            await Task.Run(() => bothHeld.Wait(), ct).ConfigureAwait(false);
            using (await permits.AcquireAsync(ct).ConfigureAwait(false))
            {
            }
        }
    }
}

/// <summary>A service whose handlers block pool threads on <c>.Result</c>: the pool starves.</summary>
internal static class Starving
{
    public static Task RunAsync()
    {
        for (var i = 0; i < 40; i++)
        {
            _ = Task.Run(Loop);
        }

        return Task.CompletedTask;
    }

    private static void Loop()
    {
        while (true)
        {
            Handle();
        }
    }

#pragma warning disable VSTHRD002 // The mistake this scenario exists to show.
    private static int Handle() => GetAsync().Result;
#pragma warning restore VSTHRD002

    private static async Task<int> GetAsync()
    {
        await Task.Delay(20).ConfigureAwait(false);
        return 1;
    }
}

/// <summary>Four threads taking turns on one monitor: a lock convoy.</summary>
internal static class Convoy
{
    private static readonly Lock Gate = new();

    public static Task RunAsync()
    {
        for (var i = 0; i < 4; i++)
        {
            new Thread(Spin) { IsBackground = true, Name = $"convoy {i}" }.Start();
        }

        return Task.CompletedTask;
    }

    private static void Spin()
    {
        while (true)
        {
            lock (Gate)
            {
                Thread.Sleep(1);
            }
        }
    }
}

/// <summary>Many pending chains (three async methods each) for the benchmark.</summary>
internal static class Many
{
    private static readonly List<byte[]> Ballast = [];

    public static Task RunAsync(int count, Task gate, int megabytes)
    {
        // Small arrays, as a service's heap is many small objects, not a few large ones.
        for (var i = 0; i < megabytes * 1024; i++)
        {
            Ballast.Add(new byte[1000]);
        }

        for (var i = 0; i < count; i++)
        {
            _ = OuterAsync(gate);
        }

        return Task.CompletedTask;
    }

    private static async Task OuterAsync(Task gate) => await MiddleAsync(gate).ConfigureAwait(false);

    private static async Task MiddleAsync(Task gate) => await InnerAsync(gate).ConfigureAwait(false);

    private static async Task InnerAsync(Task gate) => await gate.ConfigureAwait(false);
}

/// <summary>A CPU-heavy async workload measured by the process itself: what tracing costs it shows in its CPU time.</summary>
internal static class CpuWork
{
    private const int Workers = 64;

    public static async Task<string> MeasureAsync(int steps)
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var hashes = await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(w, steps)))).ConfigureAwait(false);
        var wall = System.Diagnostics.Stopwatch.GetElapsedTime(start);
        self.Refresh();
        var cpu = self.TotalProcessorTime - cpuBefore;
        var checksum = hashes.Aggregate(0UL, (a, h) => a ^ h);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"cpu {cpu.TotalMilliseconds:F1} wall {wall.TotalMilliseconds:F1} checksum {checksum}");
    }

    private static async Task<ulong> WorkAsync(int seed, int steps)
    {
        var buffer = new byte[16 * 1024];
        buffer[0] = (byte)seed;
        ulong hash = 0;
        for (var s = 0; s < steps; s++)
        {
            buffer[1] = (byte)s;
            hash ^= Hash(buffer);
            await Task.Yield();
        }

        return hash;
    }

    private static ulong Hash(byte[] buffer)
    {
        // FNV-1a over the buffer, 4 times: a few tens of microseconds of pure CPU.
        ulong hash = 14695981039346656037;
        for (var round = 0; round < 4; round++)
        {
            foreach (var b in buffer)
            {
                hash = (hash ^ b) * 1099511628211;
            }
        }

        return hash;
    }
}
