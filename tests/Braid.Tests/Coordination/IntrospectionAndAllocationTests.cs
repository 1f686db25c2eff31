using System.Diagnostics;
using System.Reflection;
using Braid.Coordination;

namespace Braid.Tests.Coordination;

// ValueTasks completed synchronously are inspected, then consumed once.
#pragma warning disable CA2012, VSTHRD002
public sealed class IntrospectionAndAllocationTests
{
    public static TheoryData<string> PrimitiveNames => new()
    {
        nameof(AsyncLock), nameof(AsyncSemaphore), nameof(CapacityLimiter), nameof(AsyncEvent), nameof(AsyncAutoResetEvent),
        nameof(AsyncCondition), nameof(AsyncReaderWriterLock), nameof(AsyncBarrier), nameof(AsyncCountdownEvent),
    };

    [Theory]
    [MemberData(nameof(PrimitiveNames))]
    public void Every_primitive_has_a_unique_id_a_statistics_snapshot_and_a_debugger_display(string name)
    {
        var type = typeof(AsyncLock).Assembly.GetType($"Braid.Coordination.{name}")!;
        Assert.NotNull(type.GetCustomAttribute<DebuggerDisplayAttribute>());
        var statistics = type.GetMethod("GetStatistics", Type.EmptyTypes)!;
        Assert.True(statistics.ReturnType.IsValueType);
        Assert.True(statistics.ReturnType.IsDefined(typeof(System.Runtime.CompilerServices.IsReadOnlyAttribute)));

        var a = Create(type);
        var b = Create(type);
        var idA = (long)type.GetProperty("Id")!.GetValue(a)!;
        var idB = (long)type.GetProperty("Id")!.GetValue(b)!;
        Assert.NotEqual(0, idA);
        Assert.NotEqual(idA, idB);
        Assert.NotNull(statistics.Invoke(a, null));

        var display = type.GetProperty("DebuggerDisplay", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(a) as string;
        Assert.Contains($"#{idA}", display, StringComparison.Ordinal);
    }

    [Fact]
    public void Uncontended_paths_allocate_nothing()
    {
        var gate = new AsyncLock();
        var semaphore = new AsyncSemaphore(1);
        var limiter = new CapacityLimiter(1);
        var rw = new AsyncReaderWriterLock();
        var ev = new AsyncEvent(initiallySet: true);
        var auto = new AsyncAutoResetEvent();
        Run(); // warm up (JIT, statics)

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Run()
        {
            var l = gate.LockAsync();
            Assert.True(l.IsCompletedSuccessfully);
            l.Result.Dispose();
            var s = semaphore.AcquireAsync();
            s.Result.Dispose();
            var w = semaphore.WaitAsync();
            Assert.True(w.IsCompletedSuccessfully);
            semaphore.Release();
            var c = limiter.AcquireAsync();
            c.Result.Dispose();
            var r = rw.ReaderLockAsync();
            r.Result.Dispose();
            var x = rw.WriterLockAsync();
            x.Result.Dispose();
            Assert.True(ev.WaitAsync().IsCompletedSuccessfully);
            auto.Set();
            Assert.True(auto.WaitAsync().IsCompletedSuccessfully);
        }
    }

    [Fact]
    public void A_queued_waiter_handed_off_allocates_nothing_once_the_pools_are_warm()
    {
        var gate = new AsyncLock();
        var semaphore = new AsyncSemaphore(1);
        var limiter = new CapacityLimiter(1);
        var rw = new AsyncReaderWriterLock();
        var auto = new AsyncAutoResetEvent();

        // A cancellable token: the waiter's Token is a copy, and the source reuses its registration nodes.
        using var cts = new CancellationTokenSource();
        var token = cts.Token;
        Run(); // warm up (JIT, statics, the node pools, the token's registration nodes)

        // Each hand-off queues a work item on the thread pool, whose shared queue (other tests use it too)
        // may now and then grow a segment on this thread. So the best of a few rounds must allocate nothing:
        // an allocation per waiter or per hand-off would show in every round.
        var rounds = new List<long>(3);
        for (var round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 200; i++)
            {
                Run();
            }

            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(rounds[^1] == 0, $"bytes allocated per round of 200: {string.Join(", ", rounds)}");

        void Run()
        {
            var held = gate.LockAsync().Result;
            var queued = gate.LockAsync(token);
            Assert.False(queued.IsCompleted);
            held.Dispose();
            Completed(queued).Dispose();

            var permit = semaphore.AcquireAsync().Result;
            var waiting = semaphore.WaitAsync(token);
            permit.Dispose();
            Completed(waiting);
            semaphore.Release();

            var lease = limiter.AcquireAsync().Result;
            var next = limiter.AcquireAsync(token);
            lease.Dispose();
            Completed(next).Dispose();

            var writer = rw.WriterLockAsync().Result;
            var reader = rw.ReaderLockAsync(token);
            var secondReader = rw.ReaderLockAsync(token);
            writer.Dispose();
            Completed(reader).Dispose();
            Completed(secondReader).Dispose();

            var signal = auto.WaitAsync(token);
            auto.Set();
            Completed(signal);
        }
    }

    // The hand-off completes on a thread-pool work item: spin (never sleeping) until it has, then consume it once.
    private static T Completed<T>(ValueTask<T> pending)
    {
        var spinner = default(SpinWait);
        while (!pending.IsCompleted)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return pending.Result;
    }

    private static void Completed(ValueTask pending)
    {
        var spinner = default(SpinWait);
        while (!pending.IsCompleted)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        pending.GetAwaiter().GetResult();
    }

    private static object Create(Type type) => type.Name switch
    {
        nameof(AsyncSemaphore) => new AsyncSemaphore(1),
        nameof(CapacityLimiter) => new CapacityLimiter(1),
        nameof(AsyncCondition) => new AsyncCondition(new AsyncLock()),
        nameof(AsyncBarrier) => new AsyncBarrier(2),
        nameof(AsyncCountdownEvent) => new AsyncCountdownEvent(1),
        nameof(AsyncLock) => new AsyncLock(),
        nameof(AsyncEvent) => new AsyncEvent(),
        nameof(AsyncAutoResetEvent) => new AsyncAutoResetEvent(),
        nameof(AsyncReaderWriterLock) => new AsyncReaderWriterLock(),
        _ => throw new ArgumentException(type.Name),
    };
}
