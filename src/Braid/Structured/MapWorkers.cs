using System.Threading.Channels;

namespace Braid.Structured;

/// <summary>
/// The workers of one run of a map (<see cref="Concurrent.MapAsync{TIn, TOut}(IEnumerable{TIn}, int, Func{TIn, CancellationToken, ValueTask{TOut}}, CancellationToken)"/>
/// and its streaming and asynchronous forms): at most N children of one task group, each taking the
/// next item, running the function, and storing the result in its input slot (ordered) or writing it
/// to a channel (unordered). Workers stop taking items as soon as the group is cancelled.
/// </summary>
/// <remarks>
/// One instance is one run: it opens the source's enumerator in <see cref="StartWorkers"/>, inside the
/// group's body, and a child of the same group (named <c>source</c>) disposes it once every worker has
/// ended. So the enumerator is opened and disposed exactly once per run, its disposal has finished
/// before the group completes, and a disposal that throws is one of the group's failures, after the
/// others, never in their place (design rule 18).
/// </remarks>
/// <typeparam name="TOut">The result type.</typeparam>
internal abstract class MapWorkers<TOut>
{
    private const string SourceName = "source";

    private Task[] _workers = [];
    private int _started;

    protected MapWorkers(ChannelWriter<TOut>? writer, int? knownCount)
    {
        Writer = writer;
        Results = writer is null ? new ResultBuffer<TOut>(knownCount) : null;
    }

    /// <summary>Where an unordered map writes its results; <see langword="null"/> when ordered.</summary>
    protected ChannelWriter<TOut>? Writer { get; }

    /// <summary>Where an ordered map stores its results; <see langword="null"/> when unordered.</summary>
    protected ResultBuffer<TOut>? Results { get; }

    /// <summary>
    /// Opens the source, starts up to <paramref name="maxConcurrency"/> workers as children of
    /// <paramref name="group"/>, and a last child that closes the source once every worker has ended.
    /// Call from the group's body.
    /// </summary>
    public void StartWorkers(TaskGroup group, int maxConcurrency)
    {
        Open(group.CancellationToken);
        _workers = new Task[WorkersFor(maxConcurrency)];
        Func<CancellationToken, Task> worker = RunWorkerAsync;
        for (var i = 0; i < _workers.Length; i++)
        {
            group.Start(worker);
        }

        group.Start(CloseWhenDoneAsync, SourceName);
    }

    /// <summary>The results in input order. Call once the group has completed.</summary>
    public TOut[] ToArray() => Results!.ToArray();

    /// <summary>How many workers to start.</summary>
    protected virtual int WorkersFor(int maxConcurrency) => maxConcurrency;

    /// <summary>Opens the source's enumerator for this run.</summary>
    protected abstract void Open(CancellationToken cancellationToken);

    /// <summary>One worker: takes items until the source is exhausted or the group is cancelled.</summary>
    protected abstract Task WorkAsync(CancellationToken cancellationToken);

    /// <summary>Disposes the source's enumerator; called once, after every worker has ended.</summary>
    protected abstract ValueTask CloseAsync();

    // Start runs each child at once on the body's thread, one after the other: the slots need no lock.
    private Task RunWorkerAsync(CancellationToken cancellationToken) => _workers[_started++] = WorkAsync(cancellationToken);

    /// <summary>
    /// Closes the source after the last worker has ended, even when the group is cancelled. Not in a
    /// worker's <see langword="finally"/>: there the disposal's exception would replace the worker's, and it
    /// would be recorded before the failure that ended the worker. The group accounts each worker before
    /// this continuation runs (its callback was registered first), so the failures stay in the order they
    /// happened. The disposal is the caller's code: it runs in the caller's context (design rule 104).
    /// </summary>
    private async Task CloseWhenDoneAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_workers).ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
        await CloseAsync();
    }
}

/// <summary>The workers of a map over a synchronous source: the next item is taken under a lock.</summary>
internal sealed class EnumerableMap<TIn, TOut> : MapWorkers<TOut>
{
    private readonly IEnumerable<TIn> _source;
    private readonly Func<TIn, CancellationToken, ValueTask<TOut>> _func;
    private readonly int? _knownCount;
    private readonly object _gate = new();
    private IEnumerator<TIn>? _enumerator;
    private bool _exhausted;

    public EnumerableMap(IEnumerable<TIn> source, Func<TIn, CancellationToken, ValueTask<TOut>> func, ChannelWriter<TOut>? writer)
        : this(source, func, writer, source.TryGetNonEnumeratedCount(out var count) ? count : null)
    {
    }

    private EnumerableMap(IEnumerable<TIn> source, Func<TIn, CancellationToken, ValueTask<TOut>> func, ChannelWriter<TOut>? writer, int? knownCount)
        : base(writer, knownCount)
    {
        _source = source;
        _func = func;
        _knownCount = knownCount;
    }

    // No more workers than items.
    protected override int WorkersFor(int maxConcurrency) => Math.Min(maxConcurrency, _knownCount ?? maxConcurrency);

    protected override void Open(CancellationToken cancellationToken) => _enumerator = _source.GetEnumerator();

    protected override Task WorkAsync(CancellationToken cancellationToken) => Writer is null ? OrderedWorkerAsync(cancellationToken) : UnorderedWorkerAsync(cancellationToken);

    protected override ValueTask CloseAsync()
    {
        _enumerator!.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool TryTake(CancellationToken cancellationToken, out TIn item)
    {
        lock (_gate)
        {
            if (_exhausted || cancellationToken.IsCancellationRequested || !MoveNextOrStop())
            {
                _exhausted = true;
                item = default!;
                return false;
            }

            item = _enumerator!.Current;
            return true;
        }
    }

    /// <summary>Advances the source; a source that throws is never asked again (the failure goes to the group).</summary>
    private bool MoveNextOrStop()
    {
        try
        {
            return _enumerator!.MoveNext();
        }
        catch
        {
            _exhausted = true;
            throw;
        }
    }

    private async Task OrderedWorkerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TIn item;
            TOut[] chunk;
            int slot;
            lock (_gate)
            {
                if (_exhausted || cancellationToken.IsCancellationRequested || !MoveNextOrStop())
                {
                    _exhausted = true;
                    return;
                }

                item = _enumerator!.Current;
                (chunk, slot) = Results!.Reserve();
            }

            // The user's function runs in the caller's context (design rule 104): no ConfigureAwait(false).
            chunk[slot] = await _func(item, cancellationToken);
        }
    }

    private async Task UnorderedWorkerAsync(CancellationToken cancellationToken)
    {
        while (TryTake(cancellationToken, out var item))
        {
            var value = await _func(item, cancellationToken);
            await Writer!.WriteAsync(value, cancellationToken);
        }
    }
}

/// <summary>The workers of a map over an <see cref="IAsyncEnumerable{T}"/> source: as <see cref="EnumerableMap{TIn, TOut}"/>, with an async gate.</summary>
internal sealed class AsyncEnumerableMap<TIn, TOut> : MapWorkers<TOut>
{
    private readonly IAsyncEnumerable<TIn> _source;
    private readonly Func<TIn, CancellationToken, ValueTask<TOut>> _func;

    // Never disposed: it is disposable only for its AvailableWaitHandle, which is never created.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAsyncEnumerator<TIn>? _enumerator;
    private bool _exhausted;

    public AsyncEnumerableMap(IAsyncEnumerable<TIn> source, Func<TIn, CancellationToken, ValueTask<TOut>> func, ChannelWriter<TOut>? writer)
        : base(writer, knownCount: null)
    {
        _source = source;
        _func = func;
    }

    // The source is enumerated under the group's token, so that a failure stops it too.
    protected override void Open(CancellationToken cancellationToken) => _enumerator = _source.GetAsyncEnumerator(cancellationToken);

    protected override ValueTask CloseAsync() => _enumerator!.DisposeAsync();

    protected override async Task WorkAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TIn item;
            TOut[]? chunk = null;
            var slot = 0;
            // No token: SemaphoreSlim waits with a token through an internal ConfigureAwait(false) await, a
            // hop to the thread pool that an AsyncLoop cannot see (its clock would jump while a worker is
            // about to run). A waiter needs no token: the holder's read has the group's token, and a
            // waiter that gets the gate after a cancellation returns at once.
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                if (_exhausted || cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                _exhausted = true; // Until MoveNextAsync answers: a source that throws is never asked again.
                if (!await _enumerator!.MoveNextAsync())
                {
                    return;
                }

                _exhausted = false;

                item = _enumerator.Current;
                if (Results is not null)
                {
                    (chunk, slot) = Results.Reserve();
                }
            }
            finally
            {
                _gate.Release();
            }

            // The user's function and enumerator run in the caller's context (design rule 104).
            var value = await _func(item, cancellationToken);
            if (chunk is not null)
            {
                chunk[slot] = value;
            }
            else
            {
                await Writer!.WriteAsync(value, cancellationToken);
            }
        }
    }
}
