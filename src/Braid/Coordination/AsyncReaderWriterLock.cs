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
/// behind it in at once.</para>
/// <para>Not re-entrant and not upgradeable: a reader asking for the writer lock deadlocks itself.</para>
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AsyncReaderWriterLock : IWaiterOwner<AsyncReaderWriterLock.Releaser>
{
    private const long ReaderTag = 0;
    private const long WriterTag = 1;

    private static readonly Func<Waiter<Releaser>, AsyncReaderWriterLock, Releaser> ReleaserOf =
        static (waiter, owner) => new Releaser(owner, waiter.Tag == WriterTag);

    private readonly Lock _gate = new();
    private readonly WaiterQueue<Releaser> _readerQueue = new();
    private readonly WaiterQueue<Releaser> _writerQueue = new();
    private readonly WaiterPool<Releaser> _pool = new();
    private int _readers;
    private bool _writerHeld;
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
            return new AsyncReaderWriterLockStatistics(IsFair, _readers, _writerHeld, _waitingReaders, _waitingWriters, _contentions, _cancellations);
        }
    }

    private bool CanEnter(bool writer)
    {
        if (_writerHeld)
        {
            return false;
        }

        if (writer)
        {
            return _readers == 0 && _readerQueue.IsEmpty && _writerQueue.IsEmpty;
        }

        // Prefer-writers: a waiting writer holds back new readers. Fair: anyone waiting does.
        return IsFair ? _readerQueue.IsEmpty : _writerQueue.IsEmpty;
    }

    private bool TryEnter(bool writer, out Releaser releaser)
    {
        lock (_gate)
        {
            if (CanEnter(writer))
            {
                Grant(writer);
                releaser = new Releaser(this, writer);
                return true;
            }
        }

        releaser = default;
        return false;
    }

    private void Grant(bool writer)
    {
        if (writer)
        {
            _writerHeld = true;
        }
        else
        {
            _readers++;
        }
    }

    private ValueTask<Releaser> EnterAsync(bool writer, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<Releaser>(cancellationToken);
        }

        Waiter<Releaser> waiter;
        ValueTask<Releaser> task;
        lock (_gate)
        {
            if (CanEnter(writer))
            {
                Grant(writer);
                return new ValueTask<Releaser>(new Releaser(this, writer));
            }

            waiter = _pool.Rent();
            waiter.Tag = writer ? WriterTag : ReaderTag;

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

        WaiterEvents.Queued(Id, writer ? "AsyncReaderWriterLock.Writer" : "AsyncReaderWriterLock.Reader");
        waiter.Arm(this, cancellationToken);
        return task;
    }

    private void Release(bool writer)
    {
        var ready = default(WaiterList<Releaser>);
        lock (_gate)
        {
            if (writer)
            {
                if (!_writerHeld)
                {
                    throw new InvalidOperationException("The write lock is not held: a releaser was disposed twice.");
                }

                _writerHeld = false;
            }
            else
            {
                if (_readers == 0)
                {
                    throw new InvalidOperationException("No read lock is held: a releaser was disposed twice.");
                }

                _readers--;
            }

            Pump(ref ready);
        }

        Complete(in ready);
    }

    // Hands the lock to whoever may have it now. Under the gate.
    private void Pump(ref WaiterList<Releaser> ready)
    {
        if (_writerHeld)
        {
            return;
        }

        if (IsFair)
        {
            while (_readerQueue.First is { } head)
            {
                var writer = head.Tag == WriterTag;
                if (writer && _readers > 0)
                {
                    return;
                }

                TakeFrom(_readerQueue, ref ready);
                if (writer)
                {
                    return;
                }
            }

            return;
        }

        if (!_writerQueue.IsEmpty)
        {
            if (_readers == 0)
            {
                TakeFrom(_writerQueue, ref ready);
            }

            return;
        }

        while (!_readerQueue.IsEmpty)
        {
            TakeFrom(_readerQueue, ref ready);
        }
    }

    private void TakeFrom(WaiterQueue<Releaser> queue, ref WaiterList<Releaser> ready)
    {
        var waiter = queue.Dequeue()!;
        var writer = waiter.Tag == WriterTag;
        if (writer)
        {
            _waitingWriters--;
        }
        else
        {
            _waitingReaders--;
        }

        Grant(writer);
        ready.Add(waiter);
    }

    private void Complete(in WaiterList<Releaser> ready)
    {
        if (ready.Count > 0)
        {
            WaiterEvents.Released(Id, nameof(AsyncReaderWriterLock), ready.Count);
            ready.SetResults(ReleaserOf, this);
        }
    }

    void IWaiterOwner<Releaser>.OnWaiterCancellationRequested(Waiter<Releaser> waiter, CancellationToken cancellationToken)
    {
        var ready = default(WaiterList<Releaser>);
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
            Pump(ref ready);
        }

        WaiterEvents.Cancelled(Id, nameof(AsyncReaderWriterLock));
        waiter.SetCanceled(cancellationToken);
        Complete(in ready);
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

        /// <summary>Releases the lock, handing it to waiters as the fairness mode says. Never runs a waiter inline.</summary>
        public void Dispose() => _owner?.Release(IsWriter);
    }
}
