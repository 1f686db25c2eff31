using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// A manual-reset event, like asyncio's and Trio's <c>Event</c>: <see cref="Set"/> releases every waiter and
/// keeps releasing newcomers until <see cref="Clear"/>.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> <see cref="Set"/> releases all waiters at once, in arrival order; their
/// continuations never run inline on the setting thread.</para>
/// <para><b>Cancellation.</b> A cancelled wait consumed nothing (setting the event is never consumed);
/// a wait cancelled at the moment of <see cref="Set"/> either succeeds or is cancelled, never both.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncEvent : IWaiterOwner<bool>
{
    private readonly Lock _gate = new();
    private readonly WaiterQueue<bool> _waiters = new();
    private readonly WaiterPool<bool> _pool = new();
    private volatile bool _isSet;
    private long _setCount;
    private long _cancellations;

    /// <summary>Creates an event, set or not.</summary>
    /// <param name="initiallySet">Whether the event starts set.</param>
    public AsyncEvent(bool initiallySet = false) => _isSet = initiallySet;

    /// <summary>The stable, process-wide unique id of this event.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>Whether the event is set right now (a snapshot).</summary>
    public bool IsSet => _isSet;

    private string DebuggerDisplay => $"AsyncEvent #{Id}: {(_isSet ? "set" : "clear")}, {_waiters.Count} waiting";

    /// <summary>Sets the event: releases every waiter, and later waits complete at once until <see cref="Clear"/>.</summary>
    /// <remarks>Never waits; setting a set event does nothing. Waiters' continuations run asynchronously.</remarks>
    public void Set()
    {
        if (_isSet)
        {
            return;
        }

        var ready = default(WaiterList<bool>);
        lock (_gate)
        {
            if (_isSet)
            {
                return;
            }

            _isSet = true;
            _setCount++;
            _waiters.DrainTo(ref ready);
        }

        WaiterEvents.Released(Id, nameof(AsyncEvent), ready.Count);
        ready.SetResults(true);
    }

    /// <summary>Clears the event: later waits wait again until the next <see cref="Set"/>. Never waits.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _isSet = false;
        }
    }

    /// <summary>Whether the event is set; never waits (the same as <see cref="IsSet"/>, named for the verb family).</summary>
    /// <returns>Whether a wait would complete at once.</returns>
    public bool TryWait() => _isSet;

    /// <summary>Waits until the event is set.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the event is set.</returns>
    /// <remarks>
    /// Completes synchronously, without allocating, when the event is set (unless the token is already
    /// cancelled, which always gives a cancelled result).
    /// </remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (_isSet)
        {
            return default;
        }

        Waiter<bool> waiter;
        ValueTask task;
        lock (_gate)
        {
            if (_isSet)
            {
                return default;
            }

            waiter = _pool.Rent();
            _waiters.Enqueue(waiter);
            task = waiter.VoidTask;
        }

        WaiterEvents.Queued(Id, nameof(AsyncEvent), waiter);
        waiter.Arm(this, cancellationToken);
        return task;
    }

    /// <summary>A consistent snapshot of the event. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncEventStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncEventStatistics(_isSet, _waiters.Count, _setCount, _cancellations);
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

        WaiterEvents.Cancelled(Id, nameof(AsyncEvent));
        waiter.SetCanceled(cancellationToken);
    }
}
