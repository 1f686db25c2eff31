namespace Braid.Lab;

/// <summary>
/// The work functions of one model run: task <c>i</c> in a blocking form (<see cref="Run"/>, for
/// the models that block threads) and an async form (<see cref="RunAsync"/>), which must compute the
/// same value. A session is used by many threads at once.
/// </summary>
public abstract class LabSession : IAsyncDisposable
{
    /// <summary>Runs task <paramref name="index"/>, blocking the calling thread while it waits.</summary>
    /// <param name="index">The task, from 0 to the run's task count - 1; each index is run once.</param>
    /// <param name="cancellationToken">Aborts the task; only then may it throw <see cref="OperationCanceledException"/>.</param>
    /// <returns>The task's outcome; a failure is a value, not an exception (design rule 87).</returns>
    public abstract TaskOutcome Run(int index, CancellationToken cancellationToken);

    /// <summary>Runs task <paramref name="index"/> asynchronously: the same work as <see cref="Run"/>, waiting without blocking.</summary>
    /// <param name="index">The task, from 0 to the run's task count - 1; each index is run once.</param>
    /// <param name="cancellationToken">Aborts the task; only then may it throw <see cref="OperationCanceledException"/>.</param>
    /// <returns>The task's outcome. May complete synchronously. Awaits should keep the caller's context (the loop model needs it).</returns>
    public abstract ValueTask<TaskOutcome> RunAsync(int index, CancellationToken cancellationToken);

    /// <summary>Called once after the run's last task: flushes what the session stored.</summary>
    /// <returns>The rows stored (checked against the tasks that succeeded), or null when the workload stores nothing (the default).</returns>
    public virtual Task<long?> CompleteAsync() => Task.FromResult<long?>(null);

    /// <summary>Releases the session's resources. Does nothing by default.</summary>
    /// <returns>A task that completes when they are released.</returns>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
