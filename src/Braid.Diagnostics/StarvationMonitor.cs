namespace Braid.Diagnostics;

/// <summary>
/// Watches the thread pool for starvation and says what caused it: a heartbeat work item measures how
/// long new work waits for a thread, the runtime's meter gives the queue length and thread count, the
/// runtime's thread-adjustment events say when it added threads because of starvation or blocked
/// tasks, and a <see cref="BlockingDetector"/> names the blocking call sites. <see cref="Verdict"/>
/// combines them into one <see cref="StarvationReport"/>.
/// </summary>
/// <example>
/// <code>
/// await using var monitor = StarvationMonitor.Start();
/// await RunTheServiceAsync();
/// Console.WriteLine(monitor.Verdict());
/// // thread pool starved for 2.3 s (...); 87% of blocked time in Task.Wait called from OrderService.Get
/// </code>
/// </example>
public sealed class StarvationMonitor : IDisposable, IAsyncDisposable
{
    private const int StarvationReason = 6;
    private const int CooperativeBlockingReason = 8;

    private readonly StarvationMonitorOptions _options;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Queue<StarvationSample> _samples = new();
    private readonly ThreadPoolGauges _gauges = new();
    private readonly long _startedAt;
    private readonly ITimer _timer;
    private long _scheduledAt;
    private bool _beatPending;
    private TimeSpan _starvedFor;
    private TimeSpan _worstLag;
    private long _maxQueue;
    private long _minThreads = long.MaxValue;
    private long _maxThreads;
    private int _lastTarget = -1;
    private int _addedForStarvation;
    private int _addedForBlocking;
    private int _starvedReported;
    private int _disposed;

    private StarvationMonitor(StarvationMonitorOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _startedAt = _time.GetTimestamp();
        var blocking = options.Blocking;
        Blocking = BlockingDetector.StartWithAdjustments(
            new BlockingDetectorOptions
            {
                OnBlocked = blocking.OnBlocked,
                IncludeWaitHandles = blocking.IncludeWaitHandles,
                WaitHandleThreshold = blocking.WaitHandleThreshold,
                TimeProvider = _time,
            },
            OnAdjustment);
        Observe(_gauges.Read());
        _timer = _time.CreateTimer(static m => ((StarvationMonitor)m!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Arm();
    }

    /// <summary>The blocking detector this monitor runs; its call sites are the report's.</summary>
    public BlockingDetector Blocking { get; }

    /// <summary>Starts monitoring the thread pool of this process; dispose the result to stop.</summary>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <returns>The running monitor. Starting completes synchronously; nothing here takes a token.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The heartbeat interval or the lag threshold is not positive, or <see cref="StarvationMonitorOptions.MaxSamples"/> is below 1.</exception>
    public static StarvationMonitor Start(StarvationMonitorOptions? options = null)
    {
        options ??= new StarvationMonitorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HeartbeatInterval, TimeSpan.Zero, "options.HeartbeatInterval");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LagThreshold, TimeSpan.Zero, "options.LagThreshold");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSamples, 1, "options.MaxSamples");
        return new StarvationMonitor(options);
    }

    /// <summary>
    /// The verdict so far: whether the pool starved, for how long, and the blocking call sites that
    /// held its threads. Completes synchronously; safe to call from any thread, also after disposal.
    /// </summary>
    /// <returns>A snapshot; later heartbeats do not change it.</returns>
    public StarvationReport Verdict()
    {
        var now = _time.GetTimestamp();
        var sites = Blocking.GetCallSites();
        if (Volatile.Read(ref _disposed) == 0)
        {
            Observe(_gauges.Read());
        }

        lock (_gate)
        {
            var starvedFor = _starvedFor;
            var worst = _worstLag;
            if (_beatPending && Volatile.Read(ref _disposed) == 0)
            {
                // A heartbeat still waiting for a thread is evidence too: it may never run.
                var waiting = Lag(_time.GetElapsedTime(_scheduledAt, now));
                worst = waiting > worst ? waiting : worst;
                starvedFor += waiting >= _options.LagThreshold ? waiting : TimeSpan.Zero;
            }

            // The heartbeat alone decides: the runtime's adjustment events are process-wide and arrive late,
            // so an injection caused before this monitor started may be heard after.
            var starved = worst >= _options.LagThreshold;
            var observed = _time.GetElapsedTime(_startedAt, now);
            var minThreads = _minThreads == long.MaxValue ? 0 : _minThreads;
            return new StarvationReport
            {
                Starved = starved,
                StarvedFor = starvedFor,
                WorstLag = worst,
                LagThreshold = _options.LagThreshold,
                Observed = observed,
                MaxQueueLength = _maxQueue,
                MinThreadCount = minThreads,
                MaxThreadCount = _maxThreads,
                ThreadsAddedForStarvation = _addedForStarvation,
                ThreadsAddedForBlocking = _addedForBlocking,
                CallSites = sites,
                Samples = [.. _samples],
                Verdict = VerdictWriter.Write(
                    starved, starvedFor, worst, _options.LagThreshold, observed, _maxQueue, minThreads, _maxThreads,
                    _addedForStarvation, _addedForBlocking, sites),
            };
        }
    }

    /// <summary>Stops the heartbeat and the blocking detector. Idempotent; completes synchronously.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _timer.Dispose();
        Blocking.Dispose();
        _gauges.Dispose();
    }

    /// <summary>Stops monitoring, as <see cref="Dispose"/>; completes synchronously.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private TimeSpan Lag(TimeSpan sinceArmed) => sinceArmed > _options.HeartbeatInterval ? sinceArmed - _options.HeartbeatInterval : TimeSpan.Zero;

    private void Arm()
    {
        lock (_gate)
        {
            _scheduledAt = _time.GetTimestamp();
            _beatPending = true;
        }

        try
        {
            _timer.Change(_options.HeartbeatInterval, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed while a heartbeat ran: no next one.
        }
    }

    // The timer's callback already ran on a pool thread (TimeProvider.System); the heartbeat goes
    // through the pool's global queue once more, behind whatever is waiting there.
    private void OnTimer() => ThreadPool.UnsafeQueueUserWorkItem(static m => m.Beat(), this, preferLocal: false);

    private void Beat()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        var (queue, threads) = _gauges.Read();
        StarvationSample sample;
        bool firstStarved;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var lag = Lag(_time.GetElapsedTime(_scheduledAt, now));
            _beatPending = false;
            sample = new StarvationSample(_time.GetElapsedTime(_startedAt, now), lag, queue, threads);
            if (_samples.Count == _options.MaxSamples)
            {
                _samples.Dequeue();
            }

            _samples.Enqueue(sample);
            _worstLag = lag > _worstLag ? lag : _worstLag;
            ObserveLocked(queue, threads);
            var starved = lag >= _options.LagThreshold;
            _starvedFor += starved ? lag : TimeSpan.Zero;
            firstStarved = starved && _starvedReported == 0;
            _starvedReported |= starved ? 1 : 0;
        }

        Notify(_options.OnHeartbeat, sample);
        if (firstStarved && _options.OnStarved is { } onStarved)
        {
            Notify(onStarved, Verdict());
        }

        Arm();
    }

    // The runtime raises its adjustments on its own event thread, not a pool thread: while the pool
    // starves and the heartbeat waits, they are when the queue and the thread count are read.
    private void OnAdjustment(int reason, int newTarget)
    {
        Observe(_gauges.Read());
        lock (_gate)
        {
            var added = _lastTarget < 0 ? 1 : newTarget - _lastTarget;
            _lastTarget = newTarget;
            if (added <= 0)
            {
                return;
            }

            if (reason == StarvationReason)
            {
                _addedForStarvation += added;
            }
            else if (reason == CooperativeBlockingReason)
            {
                _addedForBlocking += added;
            }
        }
    }

    private void Observe((long QueueLength, long ThreadCount) gauges)
    {
        lock (_gate)
        {
            ObserveLocked(gauges.QueueLength, gauges.ThreadCount);
        }
    }

    private void ObserveLocked(long queue, long threads)
    {
        _maxQueue = Math.Max(_maxQueue, queue);
        _minThreads = Math.Min(_minThreads, threads);
        _maxThreads = Math.Max(_maxThreads, threads);
    }

    private static void Notify<T>(Action<T>? callback, T value)
    {
        try
        {
            callback?.Invoke(value);
        }
        catch (Exception)
        {
            // A listener never changes the behaviour it observes (docs/design.md rule 102).
        }
    }
}
