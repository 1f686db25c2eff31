using System.Globalization;
using Braid.Loop;

namespace Braid.Structured;

/// <summary>
/// Combinators built on <see cref="TaskGroup"/>: gather many operations, race them, or map a function
/// over a sequence with bounded concurrency. Every one of them returns only after all the work it
/// started has finished, and reports failures as one <see cref="TaskGroupException"/>.
/// </summary>
/// <remarks>
/// Operations run in the caller's context: each is invoked on the calling thread until its first
/// incomplete await, as <see cref="TaskGroup.Start(Func{CancellationToken, Task}, string?)"/> does.
/// Cancellation from outside cancels every operation and surfaces as <see cref="OperationCanceledException"/>
/// once they have all finished.
/// </remarks>
public static class Concurrent
{
    /// <summary>
    /// Runs every operation concurrently and returns their results in input order. The first failure
    /// cancels the others (asyncio's <c>gather</c>, with Trio's guarantee that nothing is left running).
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="operations">The operations; each receives a token cancelled on the first failure or from outside.</param>
    /// <param name="cancellationToken">Cancellation from outside.</param>
    /// <returns>The results, index for index with <paramref name="operations"/>.</returns>
    /// <exception cref="TaskGroupException">One or more operations failed; every failure is inside, in the order it happened, named by its index (<c>#0</c>, <c>#1</c>...).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled and nothing failed.</exception>
    /// <remarks>Completes synchronously if every operation does.</remarks>
    public static async Task<T[]> GatherAsync<T>(IEnumerable<Func<CancellationToken, Task<T>>> operations, CancellationToken cancellationToken = default)
    {
        var ops = ToArray(operations);
        var tasks = new Task<T>[ops.Length];
        await TaskGroup.RunAsync(
            group =>
            {
                for (var i = 0; i < ops.Length; i++)
                {
                    tasks[i] = group.Start(ops[i], IndexName(i));
                }

                return Task.CompletedTask;
            },
            cancellationToken).ConfigureAwait(LoopSynchronizationContext.IsCurrent);

        var results = new T[tasks.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            results[i] = await tasks[i].ConfigureAwait(LoopSynchronizationContext.IsCurrent); // Complete: every child has finished.
        }

        return results;
    }

    /// <summary>
    /// Runs every operation concurrently and returns each one's outcome, in input order, with failures
    /// as values: a failing operation does not cancel the others (asyncio's <c>return_exceptions=True</c>).
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="operations">The operations; each receives a token cancelled only from outside.</param>
    /// <param name="cancellationToken">Cancellation from outside.</param>
    /// <returns>The outcomes, index for index with <paramref name="operations"/>.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; thrown once every operation has finished.</exception>
    /// <remarks>Completes synchronously if every operation does.</remarks>
    public static async Task<Outcome<T>[]> GatherOutcomesAsync<T>(IEnumerable<Func<CancellationToken, Task<T>>> operations, CancellationToken cancellationToken = default)
    {
        var ops = ToArray(operations);
        var outcomes = new Outcome<T>[ops.Length];
        await TaskGroup.RunAsync(
            group =>
            {
                for (var i = 0; i < ops.Length; i++)
                {
                    var index = i;
                    group.Start(ct => CaptureOutcomeAsync(ops[index], outcomes, index, ct), IndexName(i));
                }

                return Task.CompletedTask;
            },
            cancellationToken).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        return outcomes;
    }

    /// <summary>
    /// Runs every operation concurrently; the first to succeed wins. The losers are cancelled, and
    /// awaited, before this returns. Failures do not end the race while another operation can still win.
    /// </summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="operations">At least one operation; each receives a token cancelled when someone wins or from outside.</param>
    /// <param name="cancellationToken">Cancellation from outside.</param>
    /// <returns>The winner's result.</returns>
    /// <exception cref="ArgumentException"><paramref name="operations"/> is empty.</exception>
    /// <exception cref="TaskGroupException">Every operation failed; all failures are inside, in the order they happened.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <remarks>Completes synchronously if the operations do.</remarks>
    public static async Task<T> RaceAsync<T>(IEnumerable<Func<CancellationToken, Task<T>>> operations, CancellationToken cancellationToken = default)
    {
        var ops = ToArray(operations);
        if (ops.Length == 0)
        {
            throw new ArgumentException("A race needs at least one operation.", nameof(operations));
        }

        var race = new Race<T>();
        await TaskGroup.RunAsync(
            group =>
            {
                race.Group = group;
                for (var i = 0; i < ops.Length; i++)
                {
                    var index = i;
                    group.Start(ct => race.RunAsync(ops[index], IndexName(index), ct), IndexName(i));
                }

                return Task.CompletedTask;
            },
            cancellationToken).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        return race.Result();
    }

    /// <summary>
    /// Applies <paramref name="func"/> to every item of <paramref name="source"/> with at most
    /// <paramref name="maxConcurrency"/> calls running at once, and returns the results in input order.
    /// The first failure cancels everything.
    /// </summary>
    /// <typeparam name="TIn">The item type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="source">The items; enumerated once, lazily, one item at a time under a lock.</param>
    /// <param name="maxConcurrency">The most calls of <paramref name="func"/> in flight; at least 1.</param>
    /// <param name="func">The function; it receives a token cancelled on the first failure or from outside.</param>
    /// <param name="cancellationToken">Cancellation from outside.</param>
    /// <returns>The results, index for index with the input.</returns>
    /// <exception cref="TaskGroupException">The function or the source failed; every failure is inside, in order.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled and nothing failed.</exception>
    /// <remarks>
    /// Workers run in the caller's context; when <paramref name="func"/> completes synchronously, one
    /// worker runs through the input without a thread switch. Completes synchronously if every call does.
    /// Memory: one result array (exactly sized when the source's count is known without enumerating it).
    /// </remarks>
    public static async Task<TOut[]> MapAsync<TIn, TOut>(IEnumerable<TIn> source, int maxConcurrency, Func<TIn, CancellationToken, ValueTask<TOut>> func, CancellationToken cancellationToken = default)
    {
        Validate(source, maxConcurrency, func);
        var map = new EnumerableMap<TIn, TOut>(source, func, writer: null);
        await TaskGroup.RunAsync(
            group =>
            {
                map.StartWorkers(group, maxConcurrency);
                return Task.CompletedTask;
            },
            cancellationToken).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        return map.ToArray();
    }

    /// <summary>
    /// Applies <paramref name="func"/> to every item of an asynchronous <paramref name="source"/> with at
    /// most <paramref name="maxConcurrency"/> calls at once, and returns the results in input order.
    /// </summary>
    /// <typeparam name="TIn">The item type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="source">The items; enumerated once, one <c>MoveNextAsync</c> at a time, under the group's token.</param>
    /// <param name="maxConcurrency">The most calls of <paramref name="func"/> in flight; at least 1.</param>
    /// <param name="func">The function; it receives a token cancelled on the first failure or from outside.</param>
    /// <param name="cancellationToken">Cancellation from outside.</param>
    /// <returns>The results, index for index with the input.</returns>
    /// <exception cref="TaskGroupException">The function or the source failed; every failure is inside, in order.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled and nothing failed.</exception>
    /// <remarks>Workers run in the caller's context. Completes synchronously if the source and every call do.</remarks>
    public static async Task<TOut[]> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> source, int maxConcurrency, Func<TIn, CancellationToken, ValueTask<TOut>> func, CancellationToken cancellationToken = default)
    {
        Validate(source, maxConcurrency, func);
        var map = new AsyncEnumerableMap<TIn, TOut>(source, func, writer: null);
        await TaskGroup.RunAsync(
            group =>
            {
                map.StartWorkers(group, maxConcurrency);
                return Task.CompletedTask;
            },
            cancellationToken).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        return map.ToArray();
    }

    /// <summary>
    /// Applies <paramref name="func"/> to every item with at most <paramref name="maxConcurrency"/> calls
    /// at once and streams the results as they complete, in completion order.
    /// </summary>
    /// <typeparam name="TIn">The item type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="source">The items; enumerated once, lazily.</param>
    /// <param name="maxConcurrency">The most calls in flight; at least 1. At most as many finished results wait for the consumer.</param>
    /// <param name="func">The function; it receives a token cancelled on the first failure, when the consumer stops early, or from outside.</param>
    /// <param name="cancellationToken">Cancellation from outside (also taken from <c>WithCancellation</c>).</param>
    /// <returns>
    /// The results as they complete. The work starts at the first <c>MoveNextAsync</c>. Stopping early
    /// (break, dispose) cancels the work that is left, and disposal returns only once it has all finished.
    /// </returns>
    /// <exception cref="TaskGroupException">From <c>MoveNextAsync</c> or disposal: the function or the source failed.</exception>
    /// <exception cref="OperationCanceledException">From <c>MoveNextAsync</c>: cancelled from outside.</exception>
    /// <remarks>Backpressure: workers wait when <paramref name="maxConcurrency"/> results are waiting for the consumer.</remarks>
    public static IAsyncEnumerable<TOut> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> source, int maxConcurrency, Func<TIn, CancellationToken, ValueTask<TOut>> func, CancellationToken cancellationToken = default)
    {
        Validate(source, maxConcurrency, func);
        return new UnorderedMap<TOut>(writer => new EnumerableMap<TIn, TOut>(source, func, writer), maxConcurrency, cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="func"/> to every item of an asynchronous source with at most
    /// <paramref name="maxConcurrency"/> calls at once and streams the results in completion order.
    /// </summary>
    /// <typeparam name="TIn">The item type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="source">The items; enumerated once per enumeration of the result, under the group's token.</param>
    /// <param name="maxConcurrency">The most calls in flight; at least 1.</param>
    /// <param name="func">The function; it receives a token cancelled on the first failure, when the consumer stops early, or from outside.</param>
    /// <param name="cancellationToken">Cancellation from outside (also taken from <c>WithCancellation</c>).</param>
    /// <returns>The results as they complete; see the <see cref="IEnumerable{T}"/> overload.</returns>
    /// <remarks>Backpressure: workers wait when <paramref name="maxConcurrency"/> results are waiting for the consumer.</remarks>
    public static IAsyncEnumerable<TOut> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> source, int maxConcurrency, Func<TIn, CancellationToken, ValueTask<TOut>> func, CancellationToken cancellationToken = default)
    {
        Validate(source, maxConcurrency, func);
        return new UnorderedMap<TOut>(writer => new AsyncEnumerableMap<TIn, TOut>(source, func, writer), maxConcurrency, cancellationToken);
    }

    private static async Task CaptureOutcomeAsync<T>(Func<CancellationToken, Task<T>> operation, Outcome<T>[] outcomes, int index, CancellationToken cancellationToken)
    {
        try
        {
            // The operation's continuation stays in the caller's context (design rule 104).
            outcomes[index] = new Outcome<T>(await operation(cancellationToken));
        }
#pragma warning disable CA1031 // Failures are returned as values: that is the point of this method.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            outcomes[index] = new Outcome<T>(exception);
        }
    }

    private static string IndexName(int index) => "#" + index.ToString(CultureInfo.InvariantCulture);

    private static Func<CancellationToken, Task<T>>[] ToArray<T>(IEnumerable<Func<CancellationToken, Task<T>>> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations.ToArray();
        foreach (var op in ops)
        {
            ArgumentNullException.ThrowIfNull(op, nameof(operations));
        }

        return ops;
    }

    private static void Validate<TSource, TFunc>(TSource source, int maxConcurrency, TFunc func)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(func);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
    }

    private sealed class Race<T>
    {
        private readonly List<(string? Name, Exception Exception)> _failures = [];
        private T _winner = default!;
        private int _won;

        public TaskGroup? Group { get; set; }

        public async Task RunAsync(Func<CancellationToken, Task<T>> operation, string name, CancellationToken cancellationToken)
        {
            try
            {
                var value = await operation(cancellationToken);
                if (Interlocked.CompareExchange(ref _won, 1, 0) == 0)
                {
                    _winner = value;
                    Group!.Cancel($"race won by {name}");
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // A loser cancelled because someone won, or everything cancelled from outside.
            }
#pragma warning disable CA1031 // A failed racer is kept, not thrown: the race goes on while another can win.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                lock (_failures)
                {
                    _failures.Add((name, exception));
                }
            }
        }

        public T Result()
        {
            if (Volatile.Read(ref _won) == 1)
            {
                return _winner;
            }

            lock (_failures)
            {
                return _failures.Count > 0
                    ? throw new TaskGroupException(Group!.Id, Group.Name, [.. _failures.Select(f => f.Name)], [.. _failures.Select(f => f.Exception)])
                    : throw new InvalidOperationException("No operation of the race won, failed or was cancelled.");
            }
        }
    }
}
