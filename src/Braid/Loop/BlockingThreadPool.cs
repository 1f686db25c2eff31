using Braid.Instrumentation;
using Braid.Internal;

namespace Braid.Loop;

/// <summary>
/// A bounded set of dedicated threads for blocking calls (<see cref="ToThread"/>): at most
/// <see cref="MaxThreads"/> run at once, the rest wait in FIFO order. Threads are created on demand and
/// leave after an idle minute, so an idle process holds none. They are not thread-pool threads, so
/// blocking them never starves the shared pool.
/// </summary>
internal sealed class BlockingThreadPool
{
    private const int IdleTimeoutMilliseconds = 60_000;

    private readonly object _gate = new();
    private readonly Queue<WorkItem> _queue = new();
    private readonly string _name;
    private int _threads;

    // Threads waiting for work that no call has been promised yet. A call takes one (under the gate)
    // the moment it is queued, and promises it a wake-up: counting an idle thread only once it woke
    // let every call of a burst count the same one, queue behind it, and start no thread.
    private int _idle;

    // Wake-ups promised to idle threads and not yet taken: any waiting thread may take one.
    private int _wakeups;
    private int _busy;
    private int _peakBusy;

    public BlockingThreadPool(int maxThreads, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        MaxThreads = maxThreads;
        _name = name;
        Id = IdGenerator.Next();
    }

    /// <summary>The shared set used by <see cref="ToThread"/>: 40 threads, like Trio's default limiter.</summary>
    public static BlockingThreadPool Shared { get; } = new(40, "braid-to-thread");

    public long Id { get; }

    public int MaxThreads { get; }

    /// <summary>(threads alive, calls running now, most calls ever running at once, calls queued, threads idle and unpromised).</summary>
    public (int Threads, int Busy, int PeakBusy, int Queued, int Idle) GetStatistics()
    {
        lock (_gate)
        {
            return (_threads, _busy, _peakBusy, _queue.Count, _idle);
        }
    }

    public void Queue(SendOrPostCallback work, object? state)
    {
        lock (_gate)
        {
            _queue.Enqueue(new WorkItem(work, state));
            if (_idle > 0)
            {
                // Promise this call an idle thread now, so that the next call of a burst finds one
                // thread fewer and starts its own: N calls that wait for each other get N threads.
                _idle--;
                _wakeups++;
                Monitor.Pulse(_gate);
                return;
            }

            if (_threads >= MaxThreads)
            {
                return;
            }

            _threads++;
        }

        var thread = new Thread(Worker) { IsBackground = true, Name = _name };
        thread.UnsafeStart();
    }

    // Under the gate: waits, counted idle, until a call promises a wake-up, and takes it; false when
    // the idle timeout passed with none promised (the thread then leaves, no longer counted idle).
    private bool WaitForWork()
    {
        _idle++;
        while (_wakeups == 0)
        {
            // A promise made just as the wait timed out still counts: the pulse may have missed us.
            if (!Monitor.Wait(_gate, IdleTimeoutMilliseconds) && _wakeups == 0)
            {
                _idle--;
                return false;
            }
        }

        _wakeups--;
        return true;
    }

    private void Worker()
    {
        while (true)
        {
            WorkItem item;
            lock (_gate)
            {
                // A thread woken for a call may find it taken by a thread that finished first: it
                // then waits again, counted idle again. The calls are served all the same.
                while (_queue.Count == 0)
                {
                    if (!WaitForWork())
                    {
                        _threads--;
                        return;
                    }
                }

                item = _queue.Dequeue();
                _busy++;
                if (_busy > _peakBusy)
                {
                    _peakBusy = _busy;
                }
            }

            try
            {
                item.Callback(item.State);
            }
#pragma warning disable CA1031 // Work items capture their own exceptions; this is a last resort that keeps the thread alive.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                BraidInstrumentation.Raise(new BraidEvent(BraidEventKind.UnobservedFault, Id, _name, Message: "a blocking call's wrapper threw", Exception: ex));
            }
            finally
            {
                lock (_gate)
                {
                    _busy--;
                }
            }
        }
    }
}
