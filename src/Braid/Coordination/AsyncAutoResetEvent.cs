using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// An auto-reset event: each <see cref="Set"/> releases exactly one waiter (the oldest), or, when nobody
/// waits, leaves the event signalled so that the next wait completes at once and resets it.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> FIFO with direct hand-off: the signal goes straight to the oldest waiter, and its
/// continuation never runs inline on the setting thread. Signals do not accumulate: setting a signalled
/// event does nothing.</para>
/// <para><b>Cancellation.</b> A cancelled wait consumed no signal; a signal set at the same moment goes to
/// the next waiter, or stays in the event (a set passes over a waiter whose token already fired, even before
/// its cancellation callback ran).</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncAutoResetEvent : IWaiterOwner<bool>
{
    private readonly Lock _gate = new();
    private readonly WaiterQueue<bool> _waiters = new();
    private readonly WaiterPool<bool> _pool = new();
    private int _signalled;
    private long _handOffs;
    private long _cancellations;

    /// <summary>Creates an event, signalled or not.</summary>
    /// <param name="initiallySignalled">Whether the first wait completes at once.</param>
    public AsyncAutoResetEvent(bool initiallySignalled = false) => _signalled = initiallySignalled ? 1 : 0;

    /// <summary>The stable, process-wide unique id of this event.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>Whether the event holds a signal right now (a snapshot).</summary>
    public bool IsSignalled => Volatile.Read(ref _signalled) == 1;

    private string DebuggerDisplay => $"AsyncAutoResetEvent #{Id}: {(IsSignalled ? "signalled" : "clear")}, {_waiters.Count} waiting";

    /// <summary>Releases the oldest waiter, or leaves the event signalled when nobody waits. Never waits.</summary>
    public void Set()
    {
        Waiter<bool>? next;
        var cancelled = default(WaiterList<bool>);
        lock (_gate)
        {
            // Waiters whose token already fired are passed over: the signal goes to the next one, or stays.
            next = _waiters.DequeueLive(ref cancelled);
            _cancellations += cancelled.Count;
            if (next is null)
            {
                Volatile.Write(ref _signalled, 1);
            }
            else
            {
                _handOffs++;
            }
        }

        if (cancelled.Count > 0)
        {
            WaiterEvents.Cancelled(Id, nameof(AsyncAutoResetEvent), cancelled.Count);
            cancelled.SetCanceled();
        }

        if (next is not null)
        {
            WaiterEvents.Released(Id, nameof(AsyncAutoResetEvent));
            next.SetResult(true);
        }
    }

    /// <summary>Consumes the signal if the event holds one; never waits.</summary>
    /// <returns>Whether a signal was consumed.</returns>
    public bool TryWait() => Interlocked.CompareExchange(ref _signalled, 0, 1) == 1;

    /// <summary>Waits for a signal and consumes it.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait consumed no signal.</param>
    /// <returns>A task that completes when this caller got a signal.</returns>
    /// <remarks>
    /// Completes synchronously, without allocating, when the event is signalled (an already cancelled
    /// token always gives a cancelled result and leaves the signal). Waiters are served FIFO.
    /// </remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; no signal was consumed.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (TryWait())
        {
            return default;
        }

        Waiter<bool> waiter;
        ValueTask task;
        lock (_gate)
        {
            // A signal is only ever left in the event while the queue is empty, so this keeps FIFO.
            if (TryWait())
            {
                return default;
            }

            waiter = _pool.Rent();
            waiter.Token = cancellationToken;
            _waiters.Enqueue(waiter);
            task = waiter.VoidTask;
        }

        WaiterEvents.Queued(Id, nameof(AsyncAutoResetEvent), waiter);
        waiter.Arm(this, cancellationToken);
        return task;
    }

    /// <summary>A consistent snapshot of the event. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncAutoResetEventStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncAutoResetEventStatistics(IsSignalled, _waiters.Count, _handOffs, _cancellations);
        }
    }

    void IWaiterOwner<bool>.OnWaiterCancellationRequested(Waiter<bool> waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return;
            }

            _cancellations++;
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncAutoResetEvent));
        waiter.SetCanceled(cancellationToken);
    }
}
