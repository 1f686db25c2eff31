using System.Diagnostics;

namespace Braid.Pipelines.Engine;

/// <summary>
/// One run of a pipeline: its cancellation, its workers, its failures and dead letters. Every worker
/// is started through <see cref="StartWorker"/>, never throws out of its task (its failure is
/// recorded here instead), and is awaited by <see cref="StopAsync"/>.
/// </summary>
internal sealed class RunContext : IDisposable
{
    private readonly object _gate = new();
    private readonly CancellationTokenSource _cts;
    private readonly List<StageCounters> _stages = [];
    private readonly List<Task> _workers = [];
    private readonly List<StageFailure> _failures = [];
    private readonly List<DeadLetter> _deadLetters = [];
    private readonly long _start;
    private readonly Activity? _activity;
    private ITimer? _progressTimer;
    private long _deadLetterCount;
    private bool _completed;
    private Task? _stopping;

    public RunContext(PipelineOptions options, CancellationToken external)
    {
        Options = options;
        Time = options.TimeProvider;
        External = external;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(external);
        Token = _cts.Token;
        _start = Time.GetTimestamp();
        _activity = PipelineTelemetry.Source.StartActivity("braid.pipeline.run");
        _activity?.SetTag("braid.pipeline.name", options.Name);
    }

    public PipelineOptions Options { get; }

    public TimeProvider Time { get; }

    public CancellationToken External { get; }

    /// <summary>Cancelled when the run must stop: a failure, the caller's token, or the consumer leaving early.</summary>
    public CancellationToken Token { get; }

    public bool IsStopRequested => _cts.IsCancellationRequested;

    public StageCounters AddStage(string name, int workers, LinkBase? input)
    {
        var counters = new StageCounters(name, workers, input, Options.Name);
        lock (_gate)
        {
            _stages.Add(counters);
        }

        return counters;
    }

    public int StageCount
    {
        get
        {
            lock (_gate)
            {
                return _stages.Count;
            }
        }
    }

    /// <summary>Starts one worker of <paramref name="stage"/> on the pool or on a dedicated thread.</summary>
    public void StartWorker(StageCounters stage, Func<Task> body, WorkerKind kind)
    {
        var task = kind == WorkerKind.DedicatedThreads
            ? DedicatedThread.RunAsync(() => SuperviseAsync(stage, body), $"braid-{Options.Name}-{stage.Name}")
            : Task.Run(() => SuperviseAsync(stage, body));
        lock (_gate)
        {
            _workers.Add(task);
        }
    }

    /// <summary>Whether <paramref name="exception"/> is this run stopping, not a failure.</summary>
    public bool IsStopping(Exception exception) => exception is OperationCanceledException && _cts.IsCancellationRequested;

    /// <summary>Records a failure (in order) and stops every stage.</summary>
    public void Fail(string stage, Exception exception)
    {
        lock (_gate)
        {
            _failures.Add(new StageFailure(stage, exception));
        }

        _activity?.AddEvent(new ActivityEvent("braid.pipeline.failure", tags: new ActivityTagsCollection
        {
            ["braid.pipeline.stage"] = stage,
            ["exception.type"] = exception.GetType().FullName,
            ["exception.message"] = exception.Message,
        }));
        Stop();
    }

    public void AddDeadLetter(DeadLetter letter)
    {
        Interlocked.Increment(ref _deadLetterCount);
        if (Options.OnDeadLetter is { } handler)
        {
            handler(letter);
            return;
        }

        lock (_gate)
        {
            _deadLetters.Add(letter);
        }
    }

    public IReadOnlyList<DeadLetter> DeadLetters
    {
        get
        {
            lock (_gate)
            {
                return [.. _deadLetters];
            }
        }
    }

    /// <summary>Asks every stage to stop; returns at once.</summary>
    public void Stop()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped and disposed.
        }
    }

    public void StartProgress()
    {
        if (Options.OnProgress is not null)
        {
            _progressTimer = Time.CreateTimer(static s => ((RunContext)s!).ReportProgress(), this, Options.ProgressInterval, Options.ProgressInterval);
        }
    }

    private void ReportProgress()
    {
        try
        {
            Options.OnProgress?.Invoke(GetStatistics());
        }
        catch (Exception)
        {
            // A progress display must never change the run it observes.
        }
    }

    public PipelineStatistics GetStatistics()
    {
        var elapsed = Time.GetElapsedTime(_start);
        lock (_gate)
        {
            return new PipelineStatistics(
                [.. _stages.Select(s => s.Snapshot(Time, elapsed))],
                Interlocked.Read(ref _deadLetterCount),
                _failures.Count,
                elapsed,
                _completed);
        }
    }

    /// <summary>
    /// Waits for every worker to finish (asking them to stop first when <paramref name="cancel"/>),
    /// then throws the run's failures together, or the caller's cancellation. Idempotent.
    /// </summary>
    public async Task StopAsync(bool cancel)
    {
        if (cancel)
        {
            Stop();
        }

        Task stopping;
        lock (_gate)
        {
            stopping = _stopping ??= FinishAsync();
        }

        await stopping.ConfigureAwait(false);
        ThrowIfFailed();
    }

    private async Task FinishAsync()
    {
        Task[] workers;
        lock (_gate)
        {
            workers = [.. _workers];
        }

        // Workers never fault: their failures are recorded by SuperviseAsync.
        await Task.WhenAll(workers).ConfigureAwait(false);
        if (_progressTimer is not null)
        {
            await _progressTimer.DisposeAsync().ConfigureAwait(false);
        }

        lock (_gate)
        {
            _completed = true;
        }

        ReportProgress();
        _activity?.SetTag("braid.pipeline.failures", _failures.Count);
        _activity?.SetStatus(_failures.Count > 0 ? ActivityStatusCode.Error : ActivityStatusCode.Ok);
        _activity?.Dispose();
    }

    private void ThrowIfFailed()
    {
        StageFailure[] failures;
        lock (_gate)
        {
            failures = [.. _failures];
        }

        if (failures.Length > 0)
        {
            throw new PipelineException(failures);
        }

        External.ThrowIfCancellationRequested();
    }

    private async Task SuperviseAsync(StageCounters stage, Func<Task> body)
    {
        try
        {
            // On a dedicated thread, the worker's continuations must come back to it.
            await body().ConfigureAwait(true);
        }
        catch (Exception ex) when (IsStopping(ex))
        {
            // The run is stopping: not a failure.
        }
        catch (Exception ex)
        {
            Fail(stage.Name, ex);
        }
        finally
        {
            stage.WorkerStopped();
        }
    }

    public void Dispose() => _cts.Dispose();
}
