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
    private int _idle;
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

    /// <summary>(threads alive, calls running now, most calls ever running at once, calls queued).</summary>
    public (int Threads, int Busy, int PeakBusy, int Queued) GetStatistics()
    {
        lock (_gate)
        {
            return (_threads, _busy, _peakBusy, _queue.Count);
        }
    }

    public void Queue(SendOrPostCallback work, object? state)
    {
        lock (_gate)
        {
            _queue.Enqueue(new WorkItem(work, state));
            if (_idle > 0)
            {
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

    private void Worker()
    {
        while (true)
        {
            WorkItem item;
            lock (_gate)
            {
                while (_queue.Count == 0)
                {
                    _idle++;
                    var signalled = Monitor.Wait(_gate, IdleTimeoutMilliseconds);
                    _idle--;
                    if (!signalled && _queue.Count == 0)
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
