using System.Diagnostics;

namespace Braid.Pipelines.Engine;

/// <summary>
/// Keeps an ordered stage's output in input order when it has several workers: each chunk gets a
/// number from the <see cref="Dispatcher{T}"/>, and chunks are written in number order. A worker that
/// finishes a chunk out of turn deposits its output here and takes new input at once; the worker that
/// holds the turn writes the deposits that follow its own, in order. So workers of an ordered stage do
/// not wait for each other in lock step, and the reorder window is bounded: a worker has at most one
/// deposit outstanding (when it finishes another chunk before its deposit was written, it waits for its
/// turn instead), so the window is two chunks per worker.
/// </summary>
internal sealed class Sequencer<T>
{
    private readonly object _gate = new();
    private readonly Dictionary<long, TaskCompletionSource> _waiters = [];
    private readonly Dictionary<long, Segment<T>> _deposits = [];
    private long _turn;

    /// <summary>The number whose turn it is: every chunk numbered below it has been written.</summary>
    public long Turn => Volatile.Read(ref _turn);

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

    /// <summary>
    /// Leaves the output of chunk <paramref name="number"/> (possibly empty: <c>Items</c> null) for the
    /// turn holder to write. Answers <see langword="false"/>, depositing nothing, when it is already
    /// <paramref name="number"/>'s turn: the caller then holds the turn and writes the output itself.
    /// </summary>
    public bool TryDeposit(long number, Segment<T> output)
    {
        lock (_gate)
        {
            if (_turn == number)
            {
                return false;
            }

            Debug.Assert(number > _turn, "A chunk is deposited before its turn.");
            _deposits.Add(number, output);
            return true;
        }
    }

    /// <summary>
    /// Passes the turn on from <paramref name="number"/>. When the next chunk's output was deposited,
    /// answers <see langword="true"/> with it: the caller now holds that chunk's turn, writes the output
    /// and ends that turn in turn. Otherwise wakes the next chunk's worker if it waits.
    /// </summary>
    public bool EndTurn(long number, out Segment<T> deposited)
    {
        TaskCompletionSource? next;
        lock (_gate)
        {
            Debug.Assert(_turn == number, "Only the worker whose turn it is ends the turn.");
            Volatile.Write(ref _turn, number + 1);
            if (_deposits.Remove(number + 1, out deposited))
            {
                return true;
            }

            _waiters.Remove(number + 1, out next);
        }

        next?.TrySetResult();
        return false;
    }
}
