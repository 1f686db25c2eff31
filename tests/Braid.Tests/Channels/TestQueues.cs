using Braid.Channels;

namespace Braid.Tests.Channels;

/// <summary>One view of the three queue variants, so one contract runs against each.</summary>
public interface ITestQueue
{
    long Id { get; }

    int Count { get; }

    ValueTask PutAsync(int item, CancellationToken cancellationToken = default);

    bool TryPut(int item);

    ValueTask<int> GetAsync(CancellationToken cancellationToken = default);

    bool TryGet(out int item);

    void TaskDone();

    ValueTask JoinAsync(CancellationToken cancellationToken = default);

    IReadOnlyList<int> Shutdown(bool immediate = false);

    AsyncQueueStatistics GetStatistics();

    /// <summary>The order in which items put in <paramref name="putOrder"/> (with nobody waiting) come out.</summary>
    IEnumerable<int> ExpectedOrder(IEnumerable<int> putOrder);
}

public sealed class FifoTestQueue(AsyncQueue<int> queue) : ITestQueue
{
    public long Id => queue.Id;

    public int Count => queue.Count;

    public ValueTask PutAsync(int item, CancellationToken cancellationToken = default) => queue.PutAsync(item, cancellationToken);

    public bool TryPut(int item) => queue.TryPut(item);

    public ValueTask<int> GetAsync(CancellationToken cancellationToken = default) => queue.GetAsync(cancellationToken);

    public bool TryGet(out int item) => queue.TryGet(out item);

    public void TaskDone() => queue.TaskDone();

    public ValueTask JoinAsync(CancellationToken cancellationToken = default) => queue.JoinAsync(cancellationToken);

    public IReadOnlyList<int> Shutdown(bool immediate = false) => queue.Shutdown(immediate);

    public AsyncQueueStatistics GetStatistics() => queue.GetStatistics();

    public IEnumerable<int> ExpectedOrder(IEnumerable<int> putOrder) => putOrder;
}

public sealed class LifoTestQueue(AsyncLifoQueue<int> queue) : ITestQueue
{
    public long Id => queue.Id;

    public int Count => queue.Count;

    public ValueTask PutAsync(int item, CancellationToken cancellationToken = default) => queue.PutAsync(item, cancellationToken);

    public bool TryPut(int item) => queue.TryPut(item);

    public ValueTask<int> GetAsync(CancellationToken cancellationToken = default) => queue.GetAsync(cancellationToken);

    public bool TryGet(out int item) => queue.TryGet(out item);

    public void TaskDone() => queue.TaskDone();

    public ValueTask JoinAsync(CancellationToken cancellationToken = default) => queue.JoinAsync(cancellationToken);

    public IReadOnlyList<int> Shutdown(bool immediate = false) => queue.Shutdown(immediate);

    public AsyncQueueStatistics GetStatistics() => queue.GetStatistics();

    public IEnumerable<int> ExpectedOrder(IEnumerable<int> putOrder) => putOrder.Reverse();
}

/// <summary>Each item is its own priority.</summary>
public sealed class PriorityTestQueue(AsyncPriorityQueue<int, int> queue) : ITestQueue
{
    public long Id => queue.Id;

    public int Count => queue.Count;

    public ValueTask PutAsync(int item, CancellationToken cancellationToken = default) => queue.PutAsync(item, item, cancellationToken);

    public bool TryPut(int item) => queue.TryPut(item, item);

    public ValueTask<int> GetAsync(CancellationToken cancellationToken = default) => queue.GetAsync(cancellationToken);

    public bool TryGet(out int item) => queue.TryGet(out item);

    public void TaskDone() => queue.TaskDone();

    public ValueTask JoinAsync(CancellationToken cancellationToken = default) => queue.JoinAsync(cancellationToken);

    public IReadOnlyList<int> Shutdown(bool immediate = false) => queue.Shutdown(immediate);

    public AsyncQueueStatistics GetStatistics() => queue.GetStatistics();

    public IEnumerable<int> ExpectedOrder(IEnumerable<int> putOrder) => putOrder.Order();
}

internal static class Await
{
    // A hang guard only: tests synchronise on completions and statistics, never on time.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    public static Task<T> Within<T>(this ValueTask<T> pending) => pending.AsTask().WaitAsync(Guard);

    public static Task Within(this ValueTask pending) => pending.AsTask().WaitAsync(Guard);

    public static Task Within(this Task pending) => pending.WaitAsync(Guard);

    public static Task<T> Within<T>(this Task<T> pending) => pending.WaitAsync(Guard);
}

internal static class Sync
{
#pragma warning disable CA2012, VSTHRD002 // The point of these helpers: assert that a ValueTask completed synchronously, then read it.
    public static T Completed<T>(ValueTask<T> pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "expected a synchronous completion");
        return pending.Result;
    }

    public static void Completed(ValueTask pending)
    {
        Assert.True(pending.IsCompletedSuccessfully, "expected a synchronous completion");
        pending.GetAwaiter().GetResult();
    }
#pragma warning restore CA2012, VSTHRD002
}
