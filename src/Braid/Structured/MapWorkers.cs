using System.Threading.Channels;
using Braid.Loop;

namespace Braid.Structured;

/// <summary>
/// The workers of <see cref="Concurrent.MapAsync{TIn, TOut}(IEnumerable{TIn}, int, Func{TIn, CancellationToken, ValueTask{TOut}}, CancellationToken)"/>
/// over a synchronous source: at most N children of one task group, each taking the next item under a
/// lock, running the function, and storing the result in its input slot (ordered) or writing it to a
/// channel (unordered). Workers stop taking items as soon as the group is cancelled.
/// </summary>
internal sealed class EnumerableMap<TIn, TOut> : IDisposable
{
    private readonly IEnumerator<TIn> _enumerator;
    private readonly Func<TIn, CancellationToken, ValueTask<TOut>> _func;
    private readonly ResultBuffer<TOut>? _results;
    private readonly ChannelWriter<TOut>? _writer;
    private readonly int? _knownCount;
    private readonly object _gate = new();
    private bool _exhausted;

    public EnumerableMap(IEnumerable<TIn> source, Func<TIn, CancellationToken, ValueTask<TOut>> func, ChannelWriter<TOut>? writer)
    {
        _knownCount = source.TryGetNonEnumeratedCount(out var count) ? count : null;
        _func = func;
        _writer = writer;
        _results = writer is null ? new ResultBuffer<TOut>(_knownCount) : null;
        _enumerator = source.GetEnumerator();
    }

    public void StartWorkers(TaskGroup group, int maxConcurrency)
    {
        var workers = Math.Min(maxConcurrency, _knownCount ?? maxConcurrency);
        Func<CancellationToken, Task> worker = _writer is null ? OrderedWorkerAsync : UnorderedWorkerAsync;
        for (var i = 0; i < workers; i++)
        {
            group.Start(worker);
        }
    }

    public TOut[] ToArray() => _results!.ToArray();

    public void Dispose() => _enumerator.Dispose();

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

            item = _enumerator.Current;
            return true;
        }
    }

    /// <summary>Advances the source; a source that throws is never asked again (the failure goes to the group).</summary>
    private bool MoveNextOrStop()
    {
        try
        {
            return _enumerator.MoveNext();
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

                item = _enumerator.Current;
                (chunk, slot) = _results!.Reserve();
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
            await _writer!.WriteAsync(value, cancellationToken);
        }
    }
}

/// <summary>The workers of a map over an <see cref="IAsyncEnumerable{T}"/> source: as <see cref="EnumerableMap{TIn, TOut}"/>, with an async gate.</summary>
internal sealed class AsyncEnumerableMap<TIn, TOut> : IAsyncDisposable
{
    private readonly IAsyncEnumerable<TIn> _source;
    private readonly Func<TIn, CancellationToken, ValueTask<TOut>> _func;
    private readonly ResultBuffer<TOut>? _results;
    private readonly ChannelWriter<TOut>? _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IAsyncEnumerator<TIn>? _enumerator;
    private bool _exhausted;

    public AsyncEnumerableMap(IAsyncEnumerable<TIn> source, Func<TIn, CancellationToken, ValueTask<TOut>> func, ChannelWriter<TOut>? writer)
    {
        _source = source;
        _func = func;
        _writer = writer;
        _results = writer is null ? new ResultBuffer<TOut>(null) : null;
    }

    public void StartWorkers(TaskGroup group, int maxConcurrency)
    {
        // The source is enumerated under the group's token, so that a failure stops it too.
        _enumerator = _source.GetAsyncEnumerator(group.CancellationToken);
        Func<CancellationToken, Task> worker = WorkerAsync;
        for (var i = 0; i < maxConcurrency; i++)
        {
            group.Start(worker);
        }
    }

    public TOut[] ToArray() => _results!.ToArray();

    public async ValueTask DisposeAsync()
    {
        _gate.Dispose();
        if (_enumerator is not null)
        {
            await _enumerator.DisposeAsync().ConfigureAwait(LoopSynchronizationContext.IsCurrent);
        }
    }

    private async Task WorkerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TIn item;
            TOut[]? chunk = null;
            var slot = 0;
            await _gate.WaitAsync(cancellationToken);
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
                if (_results is not null)
                {
                    (chunk, slot) = _results.Reserve();
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
                await _writer!.WriteAsync(value, cancellationToken);
            }
        }
    }
}
