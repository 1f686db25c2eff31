using System.Diagnostics;

namespace Braid.Testing;

/// <summary>
/// Forces steps of concurrent tasks to run in a chosen order (Trio's <c>Sequencer</c>): each task
/// waits for its position with <c>using (await sequencer.WaitForTurnAsync(n)) { ... }</c>; position
/// <c>n</c> enters only after position <c>n - 1</c> has left its block. Positions start at 0.
/// </summary>
/// <remarks>
/// Each position may be used once. If a wait is cancelled, the sequence can never complete: the
/// sequencer is then broken, and every pending and later wait fails with
/// <see cref="InvalidOperationException"/>, so a test fails instead of hanging.
/// </remarks>
[DebuggerDisplay("Sequencer: next {_next}, {_waiters.Count} waiting")]
public sealed class Sequencer
{
    private readonly object _gate = new();
    private readonly Dictionary<int, TaskCompletionSource<IDisposable>> _waiters = [];
    private readonly HashSet<int> _claimed = [];
    private int _next;
    private bool _inside;
    private string? _broken;

    /// <summary>Waits until it is <paramref name="position"/>'s turn; dispose the result to pass the turn to the next position.</summary>
    /// <param name="position">The position, from 0; each may be used once.</param>
    /// <param name="cancellationToken">Cancels the wait and breaks the sequencer.</param>
    /// <returns>The turn, to dispose when the step is done.</returns>
    /// <remarks>
    /// Completes synchronously when it already is this position's turn. Continuations run
    /// asynchronously (on the waiting task's context), never inline inside another task's dispose.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The position was already used, or the sequencer is broken.</exception>
    public Task<IDisposable> WaitForTurnAsync(int position, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        TaskCompletionSource<IDisposable> waiter;
        lock (_gate)
        {
            if (_broken is not null)
            {
                return Task.FromException<IDisposable>(new InvalidOperationException(_broken));
            }

            if (!_claimed.Add(position))
            {
                throw new InvalidOperationException($"Sequencer position {position} was used twice.");
            }

            if (position == _next && !_inside)
            {
                _inside = true;
                return Task.FromResult<IDisposable>(new Turn(this, position));
            }

            if (cancellationToken.IsCancellationRequested)
            {
                Break($"Sequencer broken: the wait for position {position} was cancelled.");
                return Task.FromCanceled<IDisposable>(cancellationToken);
            }

            waiter = new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add(position, waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                lock (_gate)
                {
                    if (!_waiters.Remove(position))
                    {
                        return;
                    }

                    Break($"Sequencer broken: the wait for position {position} was cancelled.");
                }

                waiter.TrySetCanceled(cancellationToken);
            });
            _ = waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Task;
    }

    // Under _gate.
    private void Break(string reason)
    {
        _broken = reason;
        foreach (var pending in _waiters.Values)
        {
            pending.TrySetException(new InvalidOperationException(reason));
        }

        _waiters.Clear();
    }

    private void Leave(int position)
    {
        TaskCompletionSource<IDisposable>? next;
        lock (_gate)
        {
            _next = position + 1;
            _inside = false;
            if (!_waiters.Remove(_next, out next))
            {
                return;
            }

            _inside = true;
        }

        next.TrySetResult(new Turn(this, position + 1));
    }

    private sealed class Turn(Sequencer sequencer, int position) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                sequencer.Leave(position);
            }
        }
    }
}
