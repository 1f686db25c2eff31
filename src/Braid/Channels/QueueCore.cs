using System.Diagnostics;
using Braid.Internal;

namespace Braid.Channels;

/// <summary>
/// The one implementation behind <see cref="AsyncQueue{T}"/>, <see cref="AsyncLifoQueue{T}"/> and
/// <see cref="AsyncPriorityQueue{TElement, TPriority}"/>: asyncio.Queue semantics over a storage order.
/// </summary>
/// <remarks>
/// Invariants (checked by <see cref="AssertInvariants"/> under the lock):
/// getters wait only while the storage is empty; putters wait only while the storage is full;
/// the storage never holds more than the capacity; unfinished tasks are never negative.
/// Waiters are completed outside the lock where that is the common path; continuations always run
/// asynchronously, so no user code ever runs under the lock.
/// </remarks>
internal sealed class QueueCore<TIn, TOut, TStorage>
    where TStorage : struct, IQueueStorage<TIn, TOut>
{
    private readonly Lock _sync = new();
    private readonly int _capacity;
    private readonly ChannelWaiterList<TIn> _putters;
    private readonly ChannelWaiterList<TOut> _getters;
    private TStorage _storage;
    private long _unfinished;
    private TaskCompletionSource? _joined;
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
        _putters = new ChannelWaiterList<TIn>(_sync, Id);
        _getters = new ChannelWaiterList<TOut>(_sync, Id);
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

        ChannelWaiter<TOut>? getter;
        TOut handed;
        lock (_sync)
        {
            if (_isShutDown)
            {
                return ValueTask.FromException(new QueueShutDownException());
            }

            getter = _getters.Count > 0 ? _getters.DequeueLive() : null;
            if (getter is null)
            {
                if (_storage.Count < _capacity)
                {
                    AddLocked(item);
                    return default;
                }

                var putter = _putters.Rent();
                putter.Item = item;
                _putters.Enqueue(putter, cancellationToken);
                return new ValueTask(putter, putter.Version);
            }

            handed = HandOffLocked(item);
        }

        getter.SetResult(handed);
        return default;
    }

    public bool TryPut(TIn item)
    {
        ChannelWaiter<TOut>? getter;
        TOut handed;
        lock (_sync)
        {
            if (_isShutDown)
            {
                throw new QueueShutDownException();
            }

            getter = _getters.Count > 0 ? _getters.DequeueLive() : null;
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

        ChannelWaiter<TIn>? putter;
        TOut item;
        lock (_sync)
        {
            if (_storage.Count == 0)
            {
                if (_isShutDown)
                {
                    return ValueTask.FromException<TOut>(new QueueShutDownException());
                }

                var getter = _getters.Rent();
                _getters.Enqueue(getter, cancellationToken);
                return new ValueTask<TOut>(getter, getter.Version);
            }

            item = TakeLocked(out putter);
        }

        putter?.SetResult(default!);
        return new ValueTask<TOut>(item);
    }

    public bool TryGet(out TOut item)
    {
        ChannelWaiter<TIn>? putter;
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
        TaskCompletionSource? joined = null;
        lock (_sync)
        {
            if (_unfinished == 0)
            {
                throw new InvalidOperationException("TaskDone() was called more times than there were items put in the queue.");
            }

            if (--_unfinished == 0)
            {
                (joined, _joined) = (_joined, null);
            }
        }

        joined?.TrySetResult();
    }

    public ValueTask JoinAsync(CancellationToken cancellationToken)
    {
        Task joined;
        lock (_sync)
        {
            if (_unfinished == 0)
            {
                return default;
            }

            _joined ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            joined = _joined.Task;
        }

        return new ValueTask(cancellationToken.CanBeCanceled ? joined.WaitAsync(cancellationToken) : joined);
    }

    public IReadOnlyList<TOut> Shutdown(bool immediate)
    {
        var removed = new List<TOut>();
        TaskCompletionSource? joined = null;
        ChannelWaiter<TOut>? getters;
        ChannelWaiter<TIn>? putters;
        lock (_sync)
        {
            _isShutDown = true;
            if (immediate)
            {
                _storage.DrainTo(removed);
                _unfinished = Math.Max(0, _unfinished - removed.Count);
                if (_unfinished == 0)
                {
                    (joined, _joined) = (_joined, null);
                }
            }

            getters = _getters.DetachAll();
            putters = _putters.DetachAll();
            AssertInvariants();
        }

        ChannelWaiterList<TOut>.FailChain(getters, static () => new QueueShutDownException());
        ChannelWaiterList<TIn>.FailChain(putters, static () => new QueueShutDownException());
        joined?.TrySetResult();
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
    private TOut TakeLocked(out ChannelWaiter<TIn>? putter)
    {
        var item = _storage.Take();
        _totalTaken++;
        putter = _putters.Count > 0 ? _putters.DequeueLive() : null;
        if (putter is not null)
        {
            AddLocked(putter.Item);
        }

        AssertInvariants();
        return item;
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
