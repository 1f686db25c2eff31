using System.Threading.Channels;
using Braid.Loop;

namespace Braid.Structured;

/// <summary>
/// The sequence <see cref="Concurrent.MapUnorderedAsync{TIn, TOut}(IEnumerable{TIn}, int, Func{TIn, CancellationToken, ValueTask{TOut}}, CancellationToken)"/>
/// returns. It holds only the recipe; every enumeration gets its own workers, channel, group and source
/// enumerator, created in <see cref="GetAsyncEnumerator"/>, so two enumerations never touch each
/// other's state.
/// </summary>
/// <typeparam name="TOut">The result type.</typeparam>
internal sealed class UnorderedMap<TOut> : IAsyncEnumerable<TOut>
{
    private readonly Func<ChannelWriter<TOut>, MapWorkers<TOut>> _create;
    private readonly int _maxConcurrency;
    private readonly CancellationToken _cancellationToken;

    /// <param name="create">Makes the workers of one run, writing to the given channel.</param>
    /// <param name="maxConcurrency">The most workers a run starts, and the most finished results that wait for the consumer.</param>
    /// <param name="cancellationToken">Cancellation from outside, for every enumeration.</param>
    public UnorderedMap(Func<ChannelWriter<TOut>, MapWorkers<TOut>> create, int maxConcurrency, CancellationToken cancellationToken)
    {
        _create = create;
        _maxConcurrency = maxConcurrency;
        _cancellationToken = cancellationToken;
    }

    public IAsyncEnumerator<TOut> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(this, cancellationToken);

    /// <summary>
    /// One enumeration: the work is one task group, started at the first <see cref="MoveNextAsync"/>;
    /// the channel is completed when the group has completed (whatever its outcome), so the consumer
    /// never waits on a channel nobody will write to or complete.
    /// </summary>
    private sealed class Enumerator : IAsyncEnumerator<TOut>
    {
        private readonly Channel<TOut> _channel;
        private readonly MapWorkers<TOut> _map;
        private readonly int _maxConcurrency;
        private readonly CancellationToken _outer;
        private readonly CancellationToken _enumeration;
        private CancellationTokenSource? _linked;
        private TaskGroup? _group;
        private Task? _run;
        private bool _reported;
        private TOut _current = default!;

        public Enumerator(UnorderedMap<TOut> owner, CancellationToken enumeration)
        {
            _channel = Channel.CreateBounded<TOut>(new BoundedChannelOptions(owner._maxConcurrency) { SingleReader = true });
            _map = owner._create(_channel.Writer);
            _maxConcurrency = owner._maxConcurrency;
            _outer = owner._cancellationToken;
            _enumeration = enumeration;
        }

        public TOut Current => _current;

        public ValueTask<bool> MoveNextAsync()
        {
            if (_run is not null && _channel.Reader.TryRead(out var item))
            {
                _current = item;
                return new ValueTask<bool>(true);
            }

            return MoveNextSlowAsync();
        }

        /// <summary>
        /// Stops the work if it still runs (the consumer left early) and waits until it has all finished,
        /// the source's disposal included. Throws the failures the enumeration has not thrown yet: a
        /// failure is never dropped because the consumer had stopped listening.
        /// </summary>
        public async ValueTask DisposeAsync()
        {
            if (_run is null)
            {
                return;
            }

            if (!_run.IsCompleted)
            {
                // Cancel, not CancelAsync: the callbacks run here and now, so no worker takes another
                // item, and on an AsyncLoop the wake-ups they cause are posted to the loop, which then
                // does not look idle (an autojumping clock would otherwise move on under the workers).
                _group!.Cancel("the consumer stopped early");
            }

            try
            {
                await _run.ConfigureAwait(LoopSynchronizationContext.IsCurrent);
            }
            catch (OperationCanceledException)
            {
                // Cancellation from outside is reported by the enumeration, not by its disposal.
            }
            catch (TaskGroupException) when (_reported)
            {
                // MoveNextAsync has thrown these failures already.
            }
            finally
            {
                _current = default!;
            }
        }

        private async ValueTask<bool> MoveNextSlowAsync()
        {
            _run ??= StartRun();
            var reader = _channel.Reader;
            while (true)
            {
                if (reader.TryRead(out var item))
                {
                    _current = item;
                    return true;
                }

                // Drain loop (WaitToReadAsync + TryRead, without a token): no item lost to a cancelled read.
                if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(LoopSynchronizationContext.IsCurrent))
                {
                    // The group has completed: return its outcome (failures, or the outside's cancellation).
                    _reported = true;
                    await _run.ConfigureAwait(LoopSynchronizationContext.IsCurrent);
                    return false;
                }
            }
        }

#pragma warning disable VSTHRD200 // Starts the run and returns it; never waits.
        private Task StartRun()
        {
            var token = _outer;
            if (_enumeration.CanBeCanceled && _enumeration != _outer)
            {
                if (_outer.CanBeCanceled)
                {
                    _linked = CancellationTokenSource.CreateLinkedTokenSource(_outer, _enumeration);
                    token = _linked.Token;
                }
                else
                {
                    token = _enumeration;
                }
            }

            return RunAsync(token);
        }
#pragma warning restore VSTHRD200

        private async Task RunAsync(CancellationToken token)
        {
            try
            {
                await TaskGroup.RunAsync(
                    group =>
                    {
                        _group = group;
                        _map.StartWorkers(group, _maxConcurrency);
                        return Task.CompletedTask;
                    },
                    token).ConfigureAwait(LoopSynchronizationContext.IsCurrent);
            }
            finally
            {
                // Whatever the outcome, after every worker and the source's disposal have finished.
                _channel.Writer.TryComplete();
                _linked?.Dispose();
            }
        }
    }
}
