using System.Diagnostics;

namespace Braid.Pipelines.Engine;

/// <summary>
/// Keeps an ordered stage's output in input order when it has several workers: each chunk gets a
/// number from the <see cref="Dispatcher{T}"/>, and a worker writes its output only on its chunk's
/// turn. A worker waiting for its turn takes no new input, so the reorder window is one chunk per worker.
/// </summary>
internal sealed class Sequencer
{
    private readonly object _gate = new();
    private readonly Dictionary<long, TaskCompletionSource> _waiters = [];
    private long _turn;

    /// <summary>Completes when it is <paramref name="number"/>'s turn to write; synchronously when it already is.</summary>
    public Task WaitTurnAsync(long number, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_turn == number)
            {
                return Task.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add(number, waiter);
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Passes the turn to the next number, waking its worker if it waits.</summary>
    public void EndTurn(long number)
    {
        TaskCompletionSource? next;
        lock (_gate)
        {
            Debug.Assert(_turn == number, "Only the worker whose turn it is ends the turn.");
            _turn = number + 1;
            _waiters.Remove(_turn, out next);
        }

        next?.TrySetResult();
    }
}
