using System.Diagnostics;
using Braid.Lab.Measurement;

namespace Braid.Lab;

/// <summary>
/// The tasks of one model run, as a <see cref="LabModel"/> sees them: indices 0 to <see cref="Count"/> - 1,
/// each to be run once through <see cref="Run"/> or <see cref="RunAsync"/>, which time and record it.
/// </summary>
public sealed class LabTasks
{
    private readonly LabSession? _session;

    internal LabTasks(string runName, LabOptions options, LabFixture fixture, LabSession? session, TaskLog log)
    {
        RunName = runName;
        Options = options;
        Fixture = fixture;
        _session = session;
        Log = log;
    }

    /// <summary>The number of tasks: run indices 0 to Count - 1.</summary>
    public int Count => Log.Count;

    /// <summary>The run's options (<see cref="LabOptions.Concurrency"/>, <see cref="LabOptions.Workers"/>, ...).</summary>
    public LabOptions Options { get; }

    /// <summary>This run's name (model and repeat, such as <c>processes-2</c>).</summary>
    internal string RunName { get; }

    internal LabFixture Fixture { get; }

    internal TaskLog Log { get; }

    /// <summary>Worker processes' figures, for a model that runs out of process.</summary>
    internal List<WorkerResult> Workers { get; } = [];

    /// <summary>Rows stored by a model that runs out of process (its workers' sessions).</summary>
    internal long? StoredRows { get; set; }

    private LabSession Session => _session ?? throw new InvalidOperationException("this model runs its tasks in other processes");

    /// <summary>Runs task <paramref name="index"/> on the calling thread, blocking it while the task waits, and records it.</summary>
    /// <param name="index">The task, from 0 to <see cref="Count"/> - 1. Run each index once.</param>
    /// <param name="cancellationToken">Aborts the task.</param>
    /// <remarks>Completes synchronously. A failed task is recorded as failed and does not throw; only cancellation throws <see cref="OperationCanceledException"/>.</remarks>
    public void Run(int index, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var lane = Environment.CurrentManagedThreadId;
        TaskOutcome outcome;
        try
        {
            outcome = Session.Run(index, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = TaskOutcome.Failure(e.GetType().Name + ": " + e.Message);
        }

        Log.Record(index, start, lane, outcome);
    }

    /// <summary>Runs task <paramref name="index"/> asynchronously and records it.</summary>
    /// <param name="index">The task, from 0 to <see cref="Count"/> - 1. Run each index once.</param>
    /// <param name="cancellationToken">Aborts the task.</param>
    /// <returns>
    /// A task that completes when the task is recorded; may complete synchronously (cpu work does).
    /// Its continuations keep the caller's context, so a model on a single-threaded loop stays there.
    /// A failed task is recorded as failed; only cancellation ends the returned task in <see cref="OperationCanceledException"/>.
    /// </returns>
    public async ValueTask RunAsync(int index, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var lane = Environment.CurrentManagedThreadId;
        TaskOutcome outcome;
        try
        {
            // No ConfigureAwait(false): on the loop model the rest of the task must stay on the loop.
            outcome = await Session.RunAsync(index, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            outcome = TaskOutcome.Failure(e.GetType().Name + ": " + e.Message);
        }

        Log.Record(index, start, lane, outcome);
    }

    /// <summary>Runs one task on a thread the model does not own the top of: cancellation ends it quietly (the task is reported as not run).</summary>
    internal void RunUnlessCancelled(int index, CancellationToken cancellationToken)
    {
        try
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                Run(index, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled: the task is reported as not run.
        }
    }
}
