using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// A countdown: waiters are released when the count reaches zero. <see cref="Signal"/> counts down,
/// <see cref="AddCount"/> counts up while the count is not zero.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> Reaching zero releases every waiter at once, in arrival order; continuations never
/// run inline on the signalling thread.</para>
/// <para><b>Cancellation.</b> A cancelled wait changes nothing (waiting never consumes the count).</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncCountdownEvent : IWaiterOwner<bool>
{
    private readonly Lock _gate = new();
    private readonly WaiterQueue<bool> _waiters = new();
    private readonly WaiterPool<bool> _pool = new();
    private int _count;
    private long _cancellations;

    /// <summary>Creates a countdown starting at <paramref name="initialCount"/> (0 means already set).</summary>
    /// <param name="initialCount">The starting count.</param>
    public AsyncCountdownEvent(int initialCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCount);
        _count = initialCount;
        InitialCount = initialCount;
    }

    /// <summary>The stable, process-wide unique id of this countdown.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>The count the event was created with.</summary>
    public int InitialCount { get; }

    /// <summary>The remaining count right now (a snapshot).</summary>
    public int CurrentCount => Volatile.Read(ref _count);

    /// <summary>Whether the count is zero.</summary>
    public bool IsSet => CurrentCount == 0;

    private string DebuggerDisplay => $"AsyncCountdownEvent #{Id}: {CurrentCount} remaining, {_waiters.Count} waiting";

    /// <summary>Counts down by <paramref name="signalCount"/>; reaching zero releases every waiter.</summary>
    /// <param name="signalCount">How much to count down (1 or more).</param>
    /// <returns>Whether this call brought the count to zero.</returns>
    /// <remarks>Never waits.</remarks>
    /// <exception cref="InvalidOperationException">The count would go below zero (nothing is changed).</exception>
    public bool Signal(int signalCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(signalCount, 1);
        var ready = default(WaiterList<bool>);
        lock (_gate)
        {
            if (signalCount > _count)
            {
                throw new InvalidOperationException($"Signalled {signalCount} with only {_count} remaining: the count cannot go below zero.");
            }

            Volatile.Write(ref _count, _count - signalCount);
            if (_count > 0)
            {
                return false;
            }

            _waiters.DrainTo(ref ready);
        }

        WaiterEvents.Released(Id, nameof(AsyncCountdownEvent), ready.Count);
        ready.SetResults(true);
        return true;
    }

    /// <summary>Counts up by <paramref name="count"/> unless the event is already set; never waits.</summary>
    /// <param name="count">How much to add (1 or more).</param>
    /// <returns>Whether the count was raised (false once it reached zero: a set countdown stays set).</returns>
    public bool TryAddCount(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            if (_count == 0 || _count > int.MaxValue - count)
            {
                return false;
            }

            Volatile.Write(ref _count, _count + count);
            return true;
        }
    }

    /// <summary>Counts up by <paramref name="count"/>; never waits.</summary>
    /// <param name="count">How much to add (1 or more).</param>
    /// <exception cref="InvalidOperationException">The count already reached zero, or would overflow.</exception>
    public void AddCount(int count = 1)
    {
        if (!TryAddCount(count))
        {
            throw new InvalidOperationException("The countdown already reached zero (or would overflow); a set countdown stays set.");
        }
    }

    /// <summary>Whether the count is zero; never waits.</summary>
    /// <returns>Whether a wait would complete at once.</returns>
    public bool TryWait() => IsSet;

    /// <summary>Waits until the count reaches zero.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the count is zero.</returns>
    /// <remarks>Completes synchronously, without allocating, when the count is already zero (unless the token is already cancelled).</remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (IsSet)
        {
            return default;
        }

        Waiter<bool> waiter;
        ValueTask task;
        lock (_gate)
        {
            if (_count == 0)
            {
                return default;
            }

            waiter = _pool.Rent();
            _waiters.Enqueue(waiter);
            task = waiter.VoidTask;
        }

        WaiterEvents.Queued(Id, nameof(AsyncCountdownEvent), waiter);
        waiter.Arm(this, cancellationToken);
        return task;
    }

    /// <summary>A consistent snapshot of the countdown. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncCountdownEventStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncCountdownEventStatistics(InitialCount, _count, _waiters.Count, _cancellations);
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

        WaiterEvents.Cancelled(Id, nameof(AsyncCountdownEvent));
        waiter.SetCanceled(cancellationToken);
    }
}
