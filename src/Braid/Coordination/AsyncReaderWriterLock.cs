using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Coordination;

/// <summary>
/// A reader-writer lock for asynchronous code: many readers at once, or one writer.
/// <c>using (await rw.ReaderLockAsync(ct)) { ... }</c>, <c>using (await rw.WriterLockAsync(ct)) { ... }</c>.
/// </summary>
/// <remarks>
/// <para><b>Fairness.</b> By default writers are preferred: once a writer waits, new readers queue behind
/// it, so a steady stream of readers cannot starve a writer; when a writer leaves, the next waiting writer
/// goes first, and the queued readers enter together when no writer waits. (A steady stream of writers can
/// therefore delay readers; choose the fair mode when that matters.) In the fair mode
/// (<c>new AsyncReaderWriterLock(fair: true)</c>) everyone is served in arrival order: consecutive readers
/// at the head of the queue enter together, a writer waits for the readers ahead of it. In both modes the
/// lock is handed directly to waiters and their continuations never run inline on the releasing thread.</para>
/// <para><b>Cancellation.</b> A cancelled wait took nothing. A cancelled writer may let the readers queued
/// behind it in at once. A hand-off passes over a waiter whose token already fired, even before its
/// cancellation callback ran, and decides as if that waiter had left.</para>
/// <para>Not re-entrant and not upgradeable: a reader asking for the writer lock deadlocks itself.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncReaderWriterLock : IWaiterOwner<AsyncReaderWriterLock.Releaser>
{
    private const long ReaderTag = 0;
    private const long WriterTag = 1;

    private static readonly Func<Waiter<Releaser>, AsyncReaderWriterLock, Releaser> ReleaserOf =
        static (waiter, owner) => new Releaser(owner, waiter.Tag == WriterTag);

    // _state packs the holders and a "slow" bit: readers in the low bits, WriterBit while a writer holds,
    // SlowBit while any waiter is queued. With SlowBit clear, entering and leaving are single interlocked
    // operations; with it set every change is made under _gate (the fast paths all fail), so the queues
    // and the holders change together.
    private const int WriterBit = 1 << 30;
    private const int SlowBit = 1 << 29;
    private const int ReaderMask = SlowBit - 1;

    private readonly Lock _gate = new();
    private readonly WaiterQueue<Releaser> _readerQueue = new();
    private readonly WaiterQueue<Releaser> _writerQueue = new();
    private readonly WaiterPool<Releaser> _pool = new();
    private int _state;
    private int _waitingReaders;
    private int _waitingWriters;
    private long _contentions;
    private long _cancellations;

    /// <summary>Creates a reader-writer lock.</summary>
    /// <param name="fair">
    /// <see langword="false"/> (the default) prefers writers; <see langword="true"/> serves readers and
    /// writers strictly in arrival order.
    /// </param>
    public AsyncReaderWriterLock(bool fair = false) => IsFair = fair;

    /// <summary>The stable, process-wide unique id of this lock.</summary>
    public long Id { get; } = IdGenerator.Next();

    /// <summary>Whether the lock serves everyone in arrival order (otherwise it prefers writers).</summary>
    public bool IsFair { get; }

    private string DebuggerDisplay
    {
        get
        {
            var stats = GetStatistics();
            return $"AsyncReaderWriterLock #{Id}: {(stats.IsWriterHeld ? "writer" : $"{stats.ReaderCount} readers")}, {stats.WaitingReaders} readers and {stats.WaitingWriters} writers waiting";
        }
    }

    /// <summary>Takes the lock for reading, waiting while a writer holds it or (by default) waits for it.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait took nothing.</param>
    /// <returns>A releaser that releases the read lock when disposed.</returns>
    /// <remarks>Completes synchronously, without allocating, when a reader may enter at once.</remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; the lock was not taken.</exception>
    public ValueTask<Releaser> ReaderLockAsync(CancellationToken cancellationToken = default) => EnterAsync(writer: false, cancellationToken);

    /// <summary>Takes the lock for writing, waiting until no reader or writer holds it.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait took nothing.</param>
    /// <returns>A releaser that releases the write lock when disposed.</returns>
    /// <remarks>Completes synchronously, without allocating, when the lock is free and nobody waits.</remarks>
    /// <exception cref="OperationCanceledException">The wait was cancelled; the lock was not taken.</exception>
    public ValueTask<Releaser> WriterLockAsync(CancellationToken cancellationToken = default) => EnterAsync(writer: true, cancellationToken);

    /// <summary>Takes the read lock if a reader may enter right now; never waits.</summary>
    /// <param name="releaser">When this returns <see langword="true"/>, the releaser to dispose.</param>
    /// <returns>Whether the read lock was taken.</returns>
    public bool TryReaderLock(out Releaser releaser) => TryEnter(writer: false, out releaser);

    /// <summary>Takes the write lock if it is free and nobody waits; never waits.</summary>
    /// <param name="releaser">When this returns <see langword="true"/>, the releaser to dispose.</param>
    /// <returns>Whether the write lock was taken.</returns>
    public bool TryWriterLock(out Releaser releaser) => TryEnter(writer: true, out releaser);

    /// <summary>A consistent snapshot of the lock. Completes synchronously.</summary>
    /// <returns>The statistics.</returns>
    public AsyncReaderWriterLockStatistics GetStatistics()
    {
        lock (_gate)
        {
            var state = Volatile.Read(ref _state);
            return new AsyncReaderWriterLockStatistics(
                IsFair, state & ReaderMask, (state & WriterBit) != 0, _waitingReaders, _waitingWriters, _contentions, _cancellations);
        }
    }

    // Enters without waiting when nobody waits and the holders allow it. Given the invariants (a queued
    // reader implies a writer holds or waits), this is exactly "may enter now" in both modes.
    private bool TryEnterFast(bool writer)
    {
        if (writer)
        {
            return Interlocked.CompareExchange(ref _state, WriterBit, 0) == 0;
        }

        while (true)
        {
            var state = Volatile.Read(ref _state);
            if ((state & (WriterBit | SlowBit)) != 0 || (state & ReaderMask) == ReaderMask)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state)
            {
                return true;
            }
        }
    }

    private bool TryEnter(bool writer, out Releaser releaser)
    {
        var entered = TryEnterFast(writer);
        releaser = entered ? new Releaser(this, writer) : default;
        return entered;
    }

    private ValueTask<Releaser> EnterAsync(bool writer, CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested && TryEnterFast(writer))
        {
            return new ValueTask<Releaser>(new Releaser(this, writer));
        }

        return EnterSlowAsync(writer, cancellationToken);
    }

    private ValueTask<Releaser> EnterSlowAsync(bool writer, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Releaser>(cancellationToken);
        }

        Waiter<Releaser> waiter;
        ValueTask<Releaser> task;
        lock (_gate)
        {
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if ((state & SlowBit) == 0)
                {
                    // Nobody waits: enter if the holders allow it, else become the first waiter.
                    var canEnter = writer ? state == 0 : (state & WriterBit) == 0 && (state & ReaderMask) != ReaderMask;
                    var next = canEnter ? (writer ? state | WriterBit : state + 1) : state | SlowBit;
                    if (Interlocked.CompareExchange(ref _state, next, state) != state)
                    {
                        continue; // a fast path changed the holders: decide again
                    }

                    if (canEnter)
                    {
                        return new ValueTask<Releaser>(new Releaser(this, writer));
                    }
                }
                else if (!writer && !IsFair && (state & WriterBit) == 0 && _writerQueue.IsEmpty && (state & ReaderMask) != ReaderMask)
                {
                    // Writer-preferring, no writer holding or waiting (only possible transiently): enter.
                    Volatile.Write(ref _state, state + 1);
                    return new ValueTask<Releaser>(new Releaser(this, writer));
                }

                break;
            }

            // SlowBit is set: from here on the state changes only under the gate.
            waiter = _pool.Rent();
            waiter.Tag = writer ? WriterTag : ReaderTag;
            waiter.Token = cancellationToken;

            // The fair mode keeps one queue in arrival order (the reader queue); prefer-writers keeps two.
            (writer && !IsFair ? _writerQueue : _readerQueue).Enqueue(waiter);
            if (writer)
            {
                _waitingWriters++;
            }
            else
            {
                _waitingReaders++;
            }

            _contentions++;
            task = waiter.Task;
        }

        WaiterEvents.Queued(Id, writer ? "AsyncReaderWriterLock.Writer" : "AsyncReaderWriterLock.Reader", waiter);
        waiter.Arm(this, cancellationToken);
        return task;
    }

    private void Release(bool writer)
    {
        // Fast: nobody waits, one interlocked operation.
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if ((state & SlowBit) != 0)
            {
                break;
            }

            CheckHeld(state, writer);
            var next = writer ? state & ~WriterBit : state - 1;
            if (Interlocked.CompareExchange(ref _state, next, state) == state)
            {
                return;
            }
        }

        var ready = default(WaiterList<Releaser>);
        var cancelled = default(WaiterList<Releaser>);
        lock (_gate)
        {
            while (true)
            {
                var state = Volatile.Read(ref _state);
                CheckHeld(state, writer);
                var next = writer ? state & ~WriterBit : state - 1;
                if ((state & SlowBit) == 0)
                {
                    // The queues emptied (cancellations) since we looked: fast paths may race us again.
                    if (Interlocked.CompareExchange(ref _state, next, state) == state)
                    {
                        return;
                    }

                    continue;
                }

                Pump(ref next, ref ready, ref cancelled);
                Volatile.Write(ref _state, next);
                break;
            }
        }

        Complete(in ready, in cancelled);
    }

    private static void CheckHeld(int state, bool writer)
    {
        if (writer ? (state & WriterBit) == 0 : (state & ReaderMask) == 0)
        {
            throw new InvalidOperationException(writer
                ? "The write lock is not held: a releaser was disposed twice."
                : "No read lock is held: a releaser was disposed twice.");
        }
    }

    // Hands the lock to whoever may have it now, updating the packed state; clears SlowBit when the
    // queues are empty. Every decision looks at live waiters only: a waiter at the head of a queue whose
    // token already fired is moved to cancelled first, as if its callback had run. Under the gate, with
    // SlowBit set on entry.
    private void Pump(ref int state, ref WaiterList<Releaser> ready, ref WaiterList<Releaser> cancelled)
    {
        PumpCore(ref state, ref ready, ref cancelled);
        if (_readerQueue.IsEmpty && _writerQueue.IsEmpty)
        {
            state &= ~SlowBit;
        }
    }

    private void PumpCore(ref int state, ref WaiterList<Releaser> ready, ref WaiterList<Releaser> cancelled)
    {
        if ((state & WriterBit) != 0)
        {
            return;
        }

        if (IsFair)
        {
            while (FirstLive(_readerQueue, ref cancelled) is { } head)
            {
                var writer = head.Tag == WriterTag;
                if (writer && (state & ReaderMask) > 0)
                {
                    return;
                }

                TakeFrom(_readerQueue, ref state, ref ready);
                if (writer)
                {
                    return;
                }
            }

            return;
        }

        if (FirstLive(_writerQueue, ref cancelled) is not null)
        {
            if ((state & ReaderMask) == 0)
            {
                TakeFrom(_writerQueue, ref state, ref ready);
            }

            return;
        }

        while (FirstLive(_readerQueue, ref cancelled) is not null)
        {
            TakeFrom(_readerQueue, ref state, ref ready);
        }
    }

    // The oldest waiter of queue whose token has not fired, left in the queue; those ahead of it whose token
    // fired are removed, counted as cancelled and moved to cancelled (their callbacks will find them gone).
    private Waiter<Releaser>? FirstLive(WaiterQueue<Releaser> queue, ref WaiterList<Releaser> cancelled)
    {
        while (queue.DequeueCancelled() is { } waiter)
        {
            if (waiter.Tag == WriterTag)
            {
                _waitingWriters--;
            }
            else
            {
                _waitingReaders--;
            }

            _cancellations++;
            cancelled.Add(waiter);
        }

        return queue.First;
    }

    private void TakeFrom(WaiterQueue<Releaser> queue, ref int state, ref WaiterList<Releaser> ready)
    {
        var waiter = queue.Dequeue()!;
        if (waiter.Tag == WriterTag)
        {
            _waitingWriters--;
            state |= WriterBit;
        }
        else
        {
            _waitingReaders--;
            state++;
        }

        ready.Add(waiter);
    }

    private void Complete(in WaiterList<Releaser> ready, in WaiterList<Releaser> cancelled)
    {
        if (cancelled.Count > 0)
        {
            WaiterEvents.Cancelled(Id, nameof(AsyncReaderWriterLock), cancelled.Count);
            cancelled.SetCanceled();
        }

        if (ready.Count > 0)
        {
            WaiterEvents.Released(Id, nameof(AsyncReaderWriterLock), ready.Count);
            ready.SetResults(ReleaserOf, this);
        }
    }

    void IWaiterOwner<Releaser>.OnWaiterCancellationRequested(Waiter<Releaser> waiter, CancellationToken cancellationToken)
    {
        var ready = default(WaiterList<Releaser>);
        var cancelled = default(WaiterList<Releaser>);
        lock (_gate)
        {
            if (!_readerQueue.Remove(waiter) && !_writerQueue.Remove(waiter))
            {
                return;
            }

            if (waiter.Tag == WriterTag)
            {
                _waitingWriters--;
            }
            else
            {
                _waitingReaders--;
            }

            _cancellations++;

            // A writer that leaves the queue may have been all that held readers back.
            var state = Volatile.Read(ref _state);
            Pump(ref state, ref ready, ref cancelled);
            Volatile.Write(ref _state, state);
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncReaderWriterLock));
        waiter.SetCanceled(cancellationToken);
        Complete(in ready, in cancelled);
    }

    /// <summary>Holds the read or the write lock until disposed. Dispose it exactly once; a default releaser does nothing.</summary>
    public readonly struct Releaser : IDisposable
    {
        private readonly AsyncReaderWriterLock? _owner;

        internal Releaser(AsyncReaderWriterLock owner, bool isWriter)
        {
            _owner = owner;
            IsWriter = isWriter;
        }

        /// <summary>Whether this releaser holds the write lock (otherwise a read lock).</summary>
        public bool IsWriter { get; }

        /// <summary>The lock this releaser holds (read by the task tree to find holders, docs/design.md rule 125).</summary>
        internal AsyncReaderWriterLock? Owner => _owner;

        /// <summary>Releases the lock, handing it to waiters as the fairness mode says. Never runs a waiter inline.</summary>
        public void Dispose() => _owner?.Release(IsWriter);
    }
}
