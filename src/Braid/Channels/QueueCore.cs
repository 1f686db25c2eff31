using System.Diagnostics;
using Braid.Internal;
using Braid.Internal.Waiters;

namespace Braid.Channels;

/// <summary>
/// The one implementation behind <see cref="AsyncQueue{T}"/>, <see cref="AsyncLifoQueue{T}"/> and
/// <see cref="AsyncPriorityQueue{TElement, TPriority}"/>: asyncio.Queue semantics over a storage order.
/// </summary>
/// <remarks>
/// Invariants (checked by <see cref="AssertInvariants"/> under the lock):
/// getters wait only while the storage is empty; putters wait only while the storage is full;
/// the storage never holds more than the capacity; unfinished tasks are never negative.
/// Waiters use the shared protocol of <see cref="Waiter{T}"/>: pooled nodes, cancellation decided by whoever
/// removes the node under the lock, a waiter whose token is already cancelled skipped at hand-off, and
/// continuations always dispatched asynchronously, so no user code ever runs under the lock.
/// </remarks>
internal sealed class QueueCore<TIn, TOut, TStorage>
    where TStorage : struct, IQueueStorage<TIn, TOut>
{
    private const string GetterName = "AsyncQueue.Getter";
    private const string PutterName = "AsyncQueue.Putter";
    private const string JoinerName = "AsyncQueue.Joiner";

    private readonly Lock _sync = new();
    private readonly int _capacity;
    private readonly WaiterQueue<TIn> _putters;
    private readonly WaiterQueue<TOut> _getters;
    private readonly WaiterPool<TIn> _putterPool = new(completesAtOnce: true);
    private readonly WaiterPool<TOut> _getterPool = new(completesAtOnce: true);
    private TStorage _storage;
    private long _unfinished;
    private readonly WaiterQueue<bool> _joiners;
    private readonly WaiterPool<bool> _joinerPool = new(capacity: 16, completesAtOnce: true);
    private bool _isShutDown;
    private int _peak;
    private long _totalPut;
    private long _totalTaken;

    public QueueCore(int capacity, TStorage storage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _storage = storage;
        Id = IdGenerator.Next();
        _putters = new WaiterQueue<TIn>(_sync, Id, PutterName);
        _getters = new WaiterQueue<TOut>(_sync, Id, GetterName);
        _joiners = new WaiterQueue<bool>(_sync, Id, JoinerName);
    }

    public long Id { get; }

    public int Capacity => _capacity;

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _storage.Count;
            }
        }
    }

    public ValueTask PutAsync(TIn item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Waiter<TOut>? getter;
        TOut handed;
        Waiter<TIn>? putter = null;
        ValueTask pending = default;
        lock (_sync)
        {
            if (_isShutDown)
            {
                return ValueTask.FromException(new QueueShutDownException());
            }

            getter = NextGetterLocked();
            if (getter is null)
            {
                if (_storage.Count < _capacity)
                {
                    AddLocked(item);
                    return default;
                }

                putter = _putterPool.Rent();
                putter.Item = item;
                putter.Token = cancellationToken;
                _putters.Enqueue(putter);
                WaiterEvents.Queued(Id, PutterName, putter);
                pending = putter.VoidTask;
                handed = default!;
            }
            else
            {
                handed = HandOffLocked(item);
            }
        }

        if (putter is not null)
        {
            putter.Arm(_putters, cancellationToken); // outside the lock: an already cancelled token calls back at once
            return pending;
        }

        getter!.SetResult(handed);
        return default;
    }

    public bool TryPut(TIn item)
    {
        Waiter<TOut>? getter;
        TOut handed;
        lock (_sync)
        {
            if (_isShutDown)
            {
                throw new QueueShutDownException();
            }

            getter = NextGetterLocked();
            if (getter is null)
            {
                if (_storage.Count >= _capacity)
                {
                    return false;
                }

                AddLocked(item);
                return true;
            }

            handed = HandOffLocked(item);
        }

        getter.SetResult(handed);
        return true;
    }

    public ValueTask<TOut> GetAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TOut>(cancellationToken);
        }

        Waiter<TIn>? putter;
        TOut item;
        Waiter<TOut>? getter = null;
        ValueTask<TOut> pending = default;
        lock (_sync)
        {
            if (_storage.Count == 0)
            {
                if (_isShutDown)
                {
                    return ValueTask.FromException<TOut>(new QueueShutDownException());
                }

                getter = _getterPool.Rent();
                getter.Token = cancellationToken;
                _getters.Enqueue(getter);
                WaiterEvents.Queued(Id, GetterName, getter);
                pending = getter.Task;
                item = default!;
                putter = null;
            }
            else
            {
                item = TakeLocked(out putter);
            }
        }

        if (getter is not null)
        {
            getter.Arm(_getters, cancellationToken); // outside the lock: an already cancelled token calls back at once
            return pending;
        }

        putter?.SetResult(default!);
        return new ValueTask<TOut>(item);
    }

    public bool TryGet(out TOut item)
    {
        Waiter<TIn>? putter;
        lock (_sync)
        {
            if (_storage.Count == 0)
            {
                if (_isShutDown)
                {
                    throw new QueueShutDownException();
                }

                item = default!;
                return false;
            }

            item = TakeLocked(out putter);
        }

        putter?.SetResult(default!);
        return true;
    }

    public void TaskDone()
    {
        var joined = default(WaiterList<bool>);
        lock (_sync)
        {
            if (_unfinished == 0)
            {
                throw new InvalidOperationException("TaskDone() was called more times than there were items put in the queue.");
            }

            if (--_unfinished == 0)
            {
                _joiners.DrainTo(ref joined);
            }
        }

        joined.SetResults(true);
    }

    public ValueTask JoinAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // A joiner is a pooled waiter node like a getter or putter (not a shared TaskCompletionSource): a
        // cancelled join leaves no registration behind, and on a loop the release is a loop step (rule 36).
        Waiter<bool> joiner;
        ValueTask joined;
        lock (_sync)
        {
            if (_unfinished == 0)
            {
                return default;
            }

            joiner = _joinerPool.Rent();
            joiner.Token = cancellationToken;
            _joiners.Enqueue(joiner);
            joined = joiner.VoidTask;
        }

        joiner.Arm(_joiners, cancellationToken);
        return joined;
    }

    public IReadOnlyList<TOut> Shutdown(bool immediate)
    {
        var removed = new List<TOut>();
        var joined = default(WaiterList<bool>);
        var getters = default(WaiterList<TOut>);
        var putters = default(WaiterList<TIn>);
        lock (_sync)
        {
            _isShutDown = true;
            if (immediate)
            {
                _storage.DrainTo(removed);
                _unfinished = Math.Max(0, _unfinished - removed.Count);
                if (_unfinished == 0)
                {
                    _joiners.DrainTo(ref joined);
                }
            }

            _getters.DrainTo(ref getters);
            _putters.DrainTo(ref putters);
            AssertInvariants();
        }

        getters.SetExceptions(static () => new QueueShutDownException());
        putters.SetExceptions(static () => new QueueShutDownException());
        joined.SetResults(true);
        return removed;
    }

    public AsyncQueueStatistics GetStatistics()
    {
        lock (_sync)
        {
            return new AsyncQueueStatistics(
                _storage.Count,
                _capacity,
                _peak,
                _totalPut,
                _totalTaken,
                _unfinished,
                _getters.Count,
                _putters.Count,
                _isShutDown);
        }
    }

    private void AddLocked(TIn item)
    {
        _storage.Add(item);
        _unfinished++;
        _totalPut++;
        if (_storage.Count > _peak)
        {
            _peak = _storage.Count;
        }

        AssertInvariants();
    }

    // A getter is waiting, so the storage is empty: store and take back at once. Going through the
    // storage keeps one code path for every order (the single item is the next one in any order).
    private TOut HandOffLocked(TIn item)
    {
        Debug.Assert(_storage.Count == 0, "Getters wait only while the storage is empty.");
        _storage.Add(item);
        _unfinished++;
        _totalPut++;
        _totalTaken++;
        return _storage.Take();
    }

    // Takes the next item and, if a putter waits for room, moves its item in (the put completes now).
    private TOut TakeLocked(out Waiter<TIn>? putter)
    {
        var item = _storage.Take();
        _totalTaken++;
        putter = NextPutterLocked();
        if (putter is not null)
        {
            AddLocked(putter.Item);
        }

        AssertInvariants();
        return item;
    }

    // The longest-waiting getter whose token is not cancelled, or null; cancelled ones are skipped and failed.
    private Waiter<TOut>? NextGetterLocked()
    {
        if (_getters.IsEmpty)
        {
            return null;
        }

        var getter = _getters.DequeueLive(out var skipped);
        WaiterEvents.Cancelled(Id, GetterName, skipped);
        if (getter is not null)
        {
            WaiterEvents.Released(Id, GetterName);
        }

        return getter;
    }

    // The longest-waiting putter whose token is not cancelled, or null; a cancelled putter put nothing.
    private Waiter<TIn>? NextPutterLocked()
    {
        if (_putters.IsEmpty)
        {
            return null;
        }

        var putter = _putters.DequeueLive(out var skipped);
        WaiterEvents.Cancelled(Id, PutterName, skipped);
        if (putter is not null)
        {
            WaiterEvents.Released(Id, PutterName);
        }

        return putter;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_getters.Count == 0 || _storage.Count == 0, "Getters wait only while the storage is empty.");
        Debug.Assert(_putters.Count == 0 || _storage.Count == _capacity, "Putters wait only while the storage is full.");
        Debug.Assert(_storage.Count <= _capacity, "The storage never holds more than the capacity.");
        Debug.Assert(_unfinished >= 0, "Unfinished tasks are never negative.");
    }
}
