using System.Diagnostics;
using System.Runtime.CompilerServices;
using Braid.Pipelines.Engine;

namespace Braid.Pipelines;

/// <summary>
/// One running pipeline: enumerate it (once) for the results, read its statistics and dead letters,
/// and dispose it to stop it. Disposal returns only after every stage has stopped.
/// </summary>
/// <typeparam name="T">The type of the results.</typeparam>
/// <remarks>
/// Stages start when the run is created and work ahead of the consumer up to their buffers'
/// capacity. A consumer that stops early (<c>break</c>, first-N, an exception) disposes the
/// enumerator, which stops every stage and waits for all of them. A run that failed throws a
/// <see cref="PipelineException"/> with every failure, from <c>MoveNextAsync</c> or, if the consumer
/// had already stopped, from <see cref="DisposeAsync"/>: no failure is dropped.
/// </remarks>
[DebuggerDisplay("PipelineRun {_run.Options.Name}, {_run.StageCount} stages")]
public sealed class PipelineRun<T> : IAsyncEnumerable<T>, IAsyncDisposable
{
    private readonly RunContext _run;
    private readonly Link<T> _output;
    private int _enumerated;
    private bool _reported;

    internal PipelineRun(RunContext run, Link<T> output)
    {
        _run = run;
        _output = output;
    }

    /// <summary>Dead letters kept by the run (empty when <see cref="PipelineOptions.OnDeadLetter"/> takes them). Never waits.</summary>
    public IReadOnlyList<DeadLetter> DeadLetters => _run.DeadLetters;

    /// <summary>
    /// A snapshot of every stage's counters. Never waits; safe from any thread. Once the run has completed
    /// it is always the same final snapshot, the one <see cref="PipelineOptions.OnProgress"/> received last.
    /// </summary>
    public PipelineStatistics GetStatistics() => _run.GetStatistics();

    /// <summary>
    /// Enumerates the results, once. Moving to the next result completes synchronously while a
    /// transferred batch has items left. <paramref name="cancellationToken"/> stops the whole run;
    /// the enumeration then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops the run when cancelled.</param>
    /// <exception cref="InvalidOperationException">The run was already enumerated.</exception>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A pipeline run can be enumerated once; build it again to run it again.");
        }

        return new Enumerator(this, cancellationToken);
    }

    /// <summary>The enumerator of <see cref="PipelineBuilder{T}.RunAsync(Action{T}, CancellationToken)"/>, which also drains batches synchronously.</summary>
#pragma warning disable VSTHRD200 // An enumerator, not an awaitable: VSTHRD200 takes IAsyncEnumerator for one.
    internal Enumerator OpenEnumerator() => (Enumerator)GetAsyncEnumerator();
#pragma warning restore VSTHRD200

    /// <summary>A failure of the sink: a dead letter under <see cref="ErrorPolicy.ContinueWithDeadLetters"/>, else the run's failure (which stops every stage).</summary>
    internal static void SinkFailed(RunContext run, bool deadLetters, T item, Exception exception)
    {
        if (deadLetters)
        {
            run.AddDeadLetter(new DeadLetter("sink", item, exception, 1));
        }
        else
        {
            // Stops every stage; the enumeration then throws all failures together.
            run.Fail("sink", exception);
        }
    }

    /// <summary>Stops every stage that still runs and waits for all of them; throws the run's failures, if any.</summary>
    /// <remarks>Idempotent. Waits for functions that ignore cancellation to return.</remarks>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _run.StopAsync(cancel: true).ConfigureAwait(LoopContext.IsCurrent);
        }
        catch (OperationCanceledException) when (!HasFailures)
        {
            // The caller's own cancellation is reported by the enumeration, not by disposal.
        }
        catch (PipelineException) when (_reported)
        {
            // The enumeration has thrown these failures already.
        }
    }

    internal RunContext Context => _run;

    private bool HasFailures => _run.GetStatistics().Failures > 0;

    internal sealed class Enumerator : IAsyncEnumerator<T>
    {
        private readonly PipelineRun<T> _owner;
        private readonly CancellationTokenRegistration _registration;
        private readonly CancellationToken _cancellationToken;
        private T[]? _items;
        private int _count;
        private int _index;
        private T _current = default!;

        public Enumerator(PipelineRun<T> owner, CancellationToken cancellationToken)
        {
            _owner = owner;
            _cancellationToken = cancellationToken;
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.Register(static s => ((RunContext)s!).Stop(), owner._run);
            }
        }

        public T Current => _current;

        public ValueTask<bool> MoveNextAsync()
        {
            if (++_index < _count)
            {
                _current = _items![_index];
                return new ValueTask<bool>(true);
            }

            return MoveNextSlowAsync();
        }

        /// <summary>
        /// Passes the items left in the current batch to <paramref name="sink"/>, one by one and in
        /// order, as <see cref="MoveNextAsync"/> and the caller's loop would; never waits. A failure is
        /// handled as <see cref="SinkFailed"/> says; the run stopping propagates.
        /// </summary>
        /// <remarks>Compiled fully optimized from its first call (design rule 106): it is the consumer's per-item loop.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal void SinkRest(Action<T> sink, bool deadLetters)
        {
            var items = _items;
            if (items is null)
            {
                return;
            }

            var run = _owner._run;
            var count = Math.Min(_count, items.Length);
            while (_index + 1 < count)
            {
                var item = items[++_index];
                _current = item;
                try
                {
                    sink(item);
                }
                catch (Exception ex) when (!run.IsStopping(ex))
                {
                    SinkFailed(run, deadLetters, item, ex);
                }
            }
        }

        private async ValueTask<bool> MoveNextSlowAsync()
        {
            ReleaseSegment();
            var link = _owner._output;
            var run = _owner._run;
            while (true)
            {
                if (link.Reader.TryRead(out var segment))
                {
                    link.Dequeued(segment.Count);
                    _items = segment.Items;
                    _count = segment.Count;
                    _index = 0;
                    _current = _items[0];
                    return true;
                }

                bool more;
                try
                {
                    more = await link.Reader.WaitToReadAsync(run.Token).ConfigureAwait(LoopContext.IsCurrent);
                }
                catch (OperationCanceledException) when (run.IsStopRequested)
                {
                    more = false;
                }

                if (!more)
                {
                    // The last stage has finished, or the run was stopped: stop what still runs (a
                    // join that returned early leaves its upstream with nobody to read its output),
                    // wait for every stage, then throw the failures or the caller's cancellation.
                    try
                    {
                        await run.StopAsync(cancel: true).ConfigureAwait(LoopContext.IsCurrent);
                    }
                    catch (Exception)
                    {
                        // Reported here, so disposal does not throw it a second time.
                        _owner._reported = true;
                        throw;
                    }

                    // The enumeration's own token (WithCancellation) stopped the run: results cut short
                    // are not the end of the stream (rule 62).
                    _cancellationToken.ThrowIfCancellationRequested();

                    return false;
                }
            }
        }

        private void ReleaseSegment()
        {
            if (_items is not null)
            {
                new Segment<T>(_items, _count).Return();
                _items = null;
                _count = 0;
                _index = 0;
                _current = default!;
            }
        }

        public async ValueTask DisposeAsync()
        {
            ReleaseSegment();
            await _registration.DisposeAsync().ConfigureAwait(LoopContext.IsCurrent);
            await _owner.DisposeAsync().ConfigureAwait(LoopContext.IsCurrent);
        }
    }
}
