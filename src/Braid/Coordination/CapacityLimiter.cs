using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// Limits how many operations run at once, like Trio's <c>CapacityLimiter</c>: a pool of
/// <see cref="TotalTokens"/> tokens, each borrowed by one holder and given back by that holder. The total can
/// be changed while the limiter is in use; raising it wakes waiters at once.
/// </summary>
/// <remarks>
/// <para><b>Owner tracking.</b> <see cref="AcquireOnBehalfOfAsync"/> records who borrowed the token: one
/// borrower holds at most one token, and only a borrower that holds a token may release it
/// (<see cref="ReleaseOnBehalfOf"/>). <see cref="AcquireAsync"/> borrows anonymously; its <see cref="Lease"/>
/// is the only way to give that token back.</para>
/// <para><b>Fairness.</b> FIFO with direct hand-off: while anyone waits, a newcomer queues even if a token
/// is free. Continuations never run inline on the releasing thread.</para>
/// <para><b>Cancellation.</b> A cancelled wait borrowed nothing; a token released at that moment goes to
/// the next waiter (a release passes over a waiter whose cancellation token already fired, even before its
/// cancellation callback ran).</para>
/// <para><b>Lowering the total</b> never takes tokens back: holders keep theirs, and no new token is lent
/// until fewer than the new total are borrowed.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class CapacityLimiter : IWaiterOwner<CapacityLimiter.Lease>
{
    private static readonly Func<Waiter<Lease>, CapacityLimiter, Lease> LeaseOf = static (waiter, limiter) => new Lease(limiter, waiter.State);

    private readonly Lock _gate = new();
    private readonly WaiterQueue<Lease> _waiters = new();
    private readonly WaiterPool<Lease> _pool = new();
    private readonly HashSet<object> _holders = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<object> _queuedBorrowers = new(ReferenceEqualityComparer.Instance);
    private int _total;
    private int _borrowed;
    private int _anonymous;
    private long _contentions;
    private long _cancellations;

    /// <summary>Creates a limiter lending at most <paramref name="totalTokens"/> tokens at once.</summary>
    /// <param name="totalTokens">The number of tokens (0 or more; 0 lends nothing until raised).</param>
    public CapacityLimiter(int totalTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalTokens);
        _total = totalTokens;
    }

    /// <summary>The stable, process-wide unique id of this limiter.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>
    /// How many tokens may be borrowed at once. Setting it takes effect at once: raising it hands the new
    /// tokens to the oldest waiters; lowering it takes nothing back from current holders.
    /// </summary>
    public int TotalTokens
    {
        get => Volatile.Read(ref _total);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            var ready = default(WaiterList<Lease>);
            var cancelled = default(WaiterList<Lease>);
            lock (_gate)
            {
                _total = value;
                Pump(ref ready, ref cancelled);
            }

            Complete(in ready, in cancelled);
        }
    }

    /// <summary>How many tokens are borrowed right now (a snapshot).</summary>
    public int BorrowedTokens => Volatile.Read(ref _borrowed);

    /// <summary>How many tokens could be borrowed right now (a snapshot; 0 when lowered below the borrowed count).</summary>
    public int AvailableTokens => Math.Max(0, TotalTokens - BorrowedTokens);

    private string DebuggerDisplay => $"CapacityLimiter #{Id}: {_borrowed}/{_total} borrowed, {_waiters.Count} waiting";

    /// <summary>Borrows a token anonymously, waiting while none is free; dispose the lease to give it back.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait borrowed nothing.</param>
    /// <returns>The lease holding the token.</returns>
    /// <remarks>Completes synchronously, without allocating, when a token is free and nobody waits. FIFO.</remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; nothing was borrowed.</exception>
    public ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken = default) => AcquireCoreAsync(null, cancellationToken);

    /// <summary>Borrows a token on behalf of <paramref name="borrower"/>, waiting while none is free.</summary>
    /// <param name="borrower">Who holds the token; compared by reference. One borrower holds at most one token.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait borrowed nothing.</param>
    /// <returns>The lease; disposing it is the same as <see cref="ReleaseOnBehalfOf"/>.</returns>
    /// <remarks>Completes synchronously when a token is free and nobody waits. FIFO.</remarks>
    /// <exception cref="InvalidOperationException">The borrower already holds or waits for a token.</exception>
    /// <exception cref="OperationCanceledException">The wait was cancelled; nothing was borrowed.</exception>
    public ValueTask<Lease> AcquireOnBehalfOfAsync(object borrower, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        return AcquireCoreAsync(borrower, cancellationToken);
    }

    /// <summary>Borrows a token anonymously if one is free and nobody waits; never waits.</summary>
    /// <param name="lease">When this returns <see langword="true"/>, the lease holding the token.</param>
    /// <returns>Whether a token was borrowed.</returns>
    public bool TryAcquire(out Lease lease) => TryAcquireCore(null, out lease);

    /// <summary>Borrows a token on behalf of <paramref name="borrower"/> if one is free and nobody waits; never waits.</summary>
    /// <param name="borrower">Who holds the token; compared by reference.</param>
    /// <param name="lease">When this returns <see langword="true"/>, the lease holding the token.</param>
    /// <returns>Whether a token was borrowed.</returns>
    /// <exception cref="InvalidOperationException">The borrower already holds or waits for a token.</exception>
    public bool TryAcquireOnBehalfOf(object borrower, out Lease lease)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        return TryAcquireCore(borrower, out lease);
    }

    /// <summary>Gives back the token <paramref name="borrower"/> holds; it goes to the oldest waiter if any.</summary>
    /// <param name="borrower">The borrower that took the token.</param>
    /// <remarks>Never waits and never runs a waiter's continuation inline.</remarks>
    /// <exception cref="InvalidOperationException"><paramref name="borrower"/> holds no token of this limiter.</exception>
    public void ReleaseOnBehalfOf(object borrower)
    {
        ArgumentNullException.ThrowIfNull(borrower);
        ReleaseCore(borrower);
    }

    /// <summary>A consistent snapshot of the limiter. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public CapacityLimiterStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new CapacityLimiterStatistics(_total, _borrowed, _holders.Count, _waiters.Count, _contentions, _cancellations);
        }
    }

    private bool TryAcquireCore(object? borrower, out Lease lease)
    {
        lock (_gate)
        {
            CheckNotBorrowing(borrower);
            if (_borrowed < _total && _waiters.IsEmpty)
            {
                Lend(borrower);
                lease = new Lease(this, borrower);
                return true;
            }
        }

        lease = default;
        return false;
    }

    private ValueTask<Lease> AcquireCoreAsync(object? borrower, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Lease>(cancellationToken);
        }

        Waiter<Lease> waiter;
        ValueTask<Lease> task;
        lock (_gate)
        {
            CheckNotBorrowing(borrower);
            if (_borrowed < _total && _waiters.IsEmpty)
            {
                Lend(borrower);
                return new ValueTask<Lease>(new Lease(this, borrower));
            }

            waiter = _pool.Rent();
            waiter.State = borrower;
            waiter.Token = cancellationToken;
            if (borrower is not null)
            {
                _queuedBorrowers.Add(borrower);
            }

            _waiters.Enqueue(waiter);
            _contentions++;
            task = waiter.Task;
        }

        WaiterEvents.Queued(Id, nameof(CapacityLimiter), waiter);
        waiter.Arm(this, cancellationToken);
        return task;
    }

    private void CheckNotBorrowing(object? borrower)
    {
        if (borrower is not null && (_holders.Contains(borrower) || _queuedBorrowers.Contains(borrower)))
        {
            throw new InvalidOperationException("This borrower already holds or waits for a token of this limiter; a borrower holds at most one.");
        }
    }

    private void Lend(object? borrower)
    {
        _borrowed++;
        if (borrower is null)
        {
            _anonymous++;
        }
        else
        {
            _holders.Add(borrower);
        }
    }

    private void ReleaseCore(object? borrower)
    {
        var ready = default(WaiterList<Lease>);
        var cancelled = default(WaiterList<Lease>);
        lock (_gate)
        {
            if (borrower is null)
            {
                if (_anonymous == 0)
                {
                    throw new InvalidOperationException("No anonymous token is borrowed: a lease was disposed twice.");
                }

                _anonymous--;
            }
            else if (!_holders.Remove(borrower))
            {
                throw new InvalidOperationException("This borrower holds no token of this limiter: only the holder that took a token may release it.");
            }

            _borrowed--;
            Pump(ref ready, ref cancelled);
        }

        Complete(in ready, in cancelled);
    }

    // Lends free tokens to the oldest waiters, passing over (into cancelled) those whose token already fired:
    // their callbacks will find them gone. Under the gate.
    private void Pump(ref WaiterList<Lease> ready, ref WaiterList<Lease> cancelled)
    {
        while (_borrowed < _total && _waiters.Dequeue() is { } waiter)
        {
            if (waiter.State is { } borrower)
            {
                _queuedBorrowers.Remove(borrower);
            }

            if (waiter.Token.IsCancellationRequested)
            {
                _cancellations++;
                cancelled.Add(waiter);
                continue;
            }

            Lend(waiter.State);
            ready.Add(waiter);
        }
    }

    private void Complete(in WaiterList<Lease> ready, in WaiterList<Lease> cancelled)
    {
        if (cancelled.Count > 0)
        {
            WaiterEvents.Cancelled(Id, nameof(CapacityLimiter), cancelled.Count);
            cancelled.SetCanceled();
        }

        if (ready.Count > 0)
        {
            WaiterEvents.Released(Id, nameof(CapacityLimiter), ready.Count);
            ready.SetResults(LeaseOf, this);
        }
    }

    void IWaiterOwner<Lease>.OnWaiterCancellationRequested(Waiter<Lease> waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiters.Remove(waiter))
            {
                return;
            }

            if (waiter.State is { } borrower)
            {
                _queuedBorrowers.Remove(borrower);
            }

            _cancellations++;
        }

        WaiterEvents.Cancelled(Id, nameof(CapacityLimiter));
        waiter.SetCanceled(cancellationToken);
    }

    /// <summary>One borrowed token. Disposing it gives the token back; dispose it exactly once.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly CapacityLimiter? _owner;

        internal Lease(CapacityLimiter owner, object? borrower)
        {
            _owner = owner;
            Borrower = borrower;
        }

        /// <summary>The borrower the token was lent to, or <see langword="null"/> for an anonymous lease.</summary>
        public object? Borrower { get; }

        /// <summary>The limiter this lease holds a token of (read by the task tree, docs/design.md rule 125).</summary>
        internal CapacityLimiter? Owner => _owner;

        /// <summary>Gives the token back (to the oldest waiter if any). Never runs a waiter inline.</summary>
        public void Dispose() => _owner?.ReleaseCore(Borrower);
    }
}
