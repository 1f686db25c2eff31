using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// A reusable barrier: <see cref="ParticipantCount"/> participants each call <see cref="SignalAndWaitAsync"/>;
/// when the last one arrives, everyone is released and the next phase begins.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> The phase's arrivals are released together, in arrival order; continuations
/// never run inline on the last arriving thread (the last arrival itself completes synchronously).</para>
/// <para><b>Cancellation.</b> A cancelled wait withdraws its arrival: the phase then needs one more
/// arrival, exactly as if the cancelled participant had never come. If the last arrival and the
/// cancellation race, either the phase completes with the waiter in it, or the waiter withdrew first.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncBarrier : IWaiterOwner<long>
{
    private readonly Lock _gate = new();
    private readonly WaiterQueue<long> _waiters = new();
    private readonly WaiterPool<long> _pool = new();
    private long _phase;
    private long _cancellations;

    /// <summary>Creates a barrier for <paramref name="participantCount"/> participants.</summary>
    /// <param name="participantCount">How many arrivals complete a phase (1 or more).</param>
    public AsyncBarrier(int participantCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(participantCount, 1);
        ParticipantCount = participantCount;
    }

    /// <summary>The stable, process-wide unique id of this barrier.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>How many arrivals complete a phase.</summary>
    public int ParticipantCount { get; }

    /// <summary>The number of the current phase, starting at 0 (a snapshot).</summary>
    public long CurrentPhase => Interlocked.Read(ref _phase);

    private string DebuggerDisplay => $"AsyncBarrier #{Id}: phase {CurrentPhase}, {_waiters.Count}/{ParticipantCount} arrived";

    /// <summary>Arrives at the barrier and waits for the rest of the phase's participants.</summary>
    /// <param name="cancellationToken">Cancels the wait, withdrawing this arrival.</param>
    /// <returns>The number of the phase this arrival completed.</returns>
    /// <remarks>The last arrival of a phase completes synchronously and releases the others.</remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; the arrival was withdrawn.</exception>
    public ValueTask<long> SignalAndWaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        Waiter<long>? waiter = null;
        ValueTask<long> task = default;
        var ready = default(WaiterList<long>);
        long phase;
        lock (_gate)
        {
            phase = _phase;
            if (_waiters.Count + 1 < ParticipantCount)
            {
                waiter = _pool.Rent();
                _waiters.Enqueue(waiter);
                task = waiter.Task;
            }
            else
            {
                CompletePhase(ref ready);
            }
        }

        if (waiter is not null)
        {
            WaiterEvents.Queued(Id, nameof(AsyncBarrier), waiter);
            waiter.Arm(this, cancellationToken);
            return task;
        }

        WaiterEvents.Released(Id, nameof(AsyncBarrier), ready.Count);
        ready.SetResults(phase);
        return new ValueTask<long>(phase);
    }

    /// <summary>Arrives at the barrier only if this arrival completes the phase; never waits.</summary>
    /// <returns>Whether this arrival completed the phase (and released the others); if false, nothing changed.</returns>
    public bool TrySignalAndWait()
    {
        var ready = default(WaiterList<long>);
        long phase;
        lock (_gate)
        {
            if (_waiters.Count + 1 < ParticipantCount)
            {
                return false;
            }

            phase = _phase;
            CompletePhase(ref ready);
        }

        WaiterEvents.Released(Id, nameof(AsyncBarrier), ready.Count);
        ready.SetResults(phase);
        return true;
    }

    /// <summary>A consistent snapshot of the barrier. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncBarrierStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new AsyncBarrierStatistics(ParticipantCount, _waiters.Count, _phase, _cancellations);
        }
    }

    private void CompletePhase(ref WaiterList<long> ready)
    {
        _waiters.DrainTo(ref ready);
        Interlocked.Increment(ref _phase);
    }

    void IWaiterOwner<long>.OnWaiterCancellationRequested(Waiter<long> waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return;
            }

            _cancellations++;
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncBarrier));
        waiter.SetCanceled(cancellationToken);
    }
}
