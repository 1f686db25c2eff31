using System.Diagnostics;
using Braid.Structured;

namespace Braid.Pipelines.Engine;

/// <summary>
/// One run of a pipeline: its task group, its failures and dead letters. The run is a
/// <see cref="TaskGroup"/> (design rule 1): the stages are built in the group's body, every worker is a
/// child of the group started through <see cref="StartWorker"/>, the run's token is the group's token,
/// and <see cref="StopAsync"/> waits for the group. So no worker, and no call a worker has in flight,
/// can outlive the run. A worker never throws out of its task: its failure is recorded here, with its
/// stage, in the order failures happened (rule 61).
/// </summary>
internal sealed class RunContext
{
    private readonly object _gate = new();
    private readonly List<StageCounters> _stages = [];
    private readonly List<StageFailure> _failures = [];
    private readonly List<DeadLetter> _deadLetters = [];
    private readonly long _start;
    private readonly Activity? _activity;
    private TaskGroup? _group;
    private Task _completion = Task.CompletedTask;
    private ITimer? _progressTimer;
    private long _deadLetterCount;
    private int _reporting;
    private PipelineStatistics? _final;
    private Task? _stopping;

    public RunContext(PipelineOptions options, CancellationToken external)
    {
        Options = options;
        Time = options.TimeProvider;
        External = external;
        _start = Time.GetTimestamp();
        _activity = PipelineTelemetry.Source.StartActivity("braid.pipeline.run");
        _activity?.SetTag("braid.pipeline.name", options.Name);
    }

    public PipelineOptions Options { get; }

    public TimeProvider Time { get; }

    public CancellationToken External { get; }

    /// <summary>
    /// The group's token, cancelled when the run must stop: a failure, the caller's token, an enclosing
    /// scope or group, or the consumer leaving early.
    /// </summary>
    public CancellationToken Token { get; private set; }

    public bool IsStopRequested => Token.IsCancellationRequested;

    /// <summary>
    /// Starts the run's group and builds the stages in its body, so that every worker they start is a
    /// child of the group. Returns once every worker has started; never waits for one.
    /// </summary>
    /// <remarks>
    /// The group links to the caller's token and to the enclosing scope or group, if any (design rule 13).
    /// </remarks>
    public void Run(Action build)
    {
        _completion = TaskGroup.RunAsync(
            group =>
            {
                _group = group;
                Token = group.CancellationToken;
                build();
                return Task.CompletedTask;
            },
            new TaskGroupOptions { Name = "pipeline " + Options.Name },
            External);
    }

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

    /// <summary>
    /// Starts one worker of <paramref name="stage"/>, as a child of the run's group, on the pool or on a
    /// dedicated thread. Call while the stages are built (<see cref="Run"/>).
    /// </summary>
    /// <remarks>
    /// A worker goes to the pool (or its own thread), not inline as a plain child would: a stage never
    /// runs in, or holds up, the thread that started the run. <c>Task.Run</c> gets no token: a worker
    /// cancelled before it starts would never run <see cref="SuperviseAsync"/>, and its stage's output
    /// would never be completed.
    /// </remarks>
    public void StartWorker(StageCounters stage, Func<Task> body, WorkerKind kind)
    {
        // Named after its stage, so the task tree (and the Braid events) show each stage's workers under
        // the run's group "pipeline NAME" (docs/diagnostics.md, "Task tree").
        _group!.Start(
            kind == WorkerKind.DedicatedThreads
                ? _ => DedicatedThread.RunAsync(() => SuperviseAsync(stage, body), $"braid-{Options.Name}-{stage.Name}")
                : _ => Task.Run(() => SuperviseAsync(stage, body), CancellationToken.None),
            stage.Name);
    }

    /// <summary>Whether <paramref name="exception"/> is this run stopping, not a failure.</summary>
    public bool IsStopping(Exception exception) => exception is OperationCanceledException && Token.IsCancellationRequested;

    /// <summary>Records a failure (in order) and stops every stage.</summary>
    public void Fail(string stage, Exception exception)
    {
        RecordFailure(stage, exception);
        Stop();
    }

    private void RecordFailure(string stage, Exception exception)
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

    /// <summary>
    /// Asks every stage to stop; returns at once. Cancels the group, quietly: a callback on the run's
    /// token that throws is recorded by the group and reported with the run's failures.
    /// </summary>
    public void Stop() => _group?.Cancel("the pipeline run is stopping");

    public void StartProgress()
    {
        if (Options.OnProgress is not null)
        {
            _progressTimer = Time.CreateTimer(static s => ((RunContext)s!).ReportPeriodically(), this, Options.ProgressInterval, Options.ProgressInterval);
        }
    }

    // _reporting: 0 idle, 1 a periodic report runs, 2 the final report has been made (no more ticks).
    // A tick that comes while another report runs (a slow display) is skipped, so reports never overlap.
    private void ReportPeriodically()
    {
        if (Interlocked.CompareExchange(ref _reporting, 1, 0) != 0)
        {
            return;
        }

        try
        {
            ReportProgress();
        }
        finally
        {
            Volatile.Write(ref _reporting, 0);
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

    /// <summary>
    /// A snapshot of the counters now; once the run has completed, always the one final snapshot (its
    /// <see cref="PipelineStatistics.Elapsed"/> stops at the run's end), so the last progress report,
    /// <c>RunAsync</c>'s result and every later call agree.
    /// </summary>
    public PipelineStatistics GetStatistics()
    {
        lock (_gate)
        {
            return _final ?? Snapshot(completed: false);
        }
    }

    // Under _gate.
    private PipelineStatistics Snapshot(bool completed)
    {
        var elapsed = Time.GetElapsedTime(_start);
        return new PipelineStatistics(
            [.. _stages.Select(s => s.Snapshot(Time, elapsed))],
            Interlocked.Read(ref _deadLetterCount),
            _failures.Count,
            elapsed,
            completed);
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

        await stopping.ConfigureAwait(LoopContext.IsCurrent);
        ThrowIfFailed();
    }

    private async Task FinishAsync()
    {
        try
        {
            // Workers never fault (SuperviseAsync records their failures): the group completes when the
            // last has finished, cancelled if the outside cancelled it.
            await _completion.ConfigureAwait(LoopContext.IsCurrent);
        }
        catch (OperationCanceledException)
        {
            // Thrown by ThrowIfFailed, after the failures.
        }
        catch (TaskGroupException groupFailures)
        {
            // What the group itself caught: a callback on the run's token that threw when it was cancelled.
            for (var i = 0; i < groupFailures.InnerExceptions.Count; i++)
            {
                RecordFailure(groupFailures.ChildNames[i] ?? "run", groupFailures.InnerExceptions[i]);
            }
        }

        if (_progressTimer is not null)
        {
            await _progressTimer.DisposeAsync().ConfigureAwait(LoopContext.IsCurrent);
        }

        lock (_gate)
        {
            _final = Snapshot(completed: true);
        }

        // The final report comes last and alone: wait out a periodic report still running (a clock whose
        // timer disposal does not wait for its callback), then close the gate to any later tick for good.
        var spin = default(SpinWait);
        while (Interlocked.CompareExchange(ref _reporting, 2, 0) != 0)
        {
            spin.SpinOnce();
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
        if (_completion.IsCanceled)
        {
            // Cancelled by an enclosing scope or group: the results are cut short, and the caller must know.
            throw new OperationCanceledException($"The pipeline run '{Options.Name}' was cancelled by an enclosing scope or group.", Token);
        }
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
}
