namespace Braid.Pipelines;

/// <summary>
/// How one stage runs: its workers, its input buffer, ordering, rate limit, retries and error policy.
/// Every value is validated when the stage is added; nothing is silently capped.
/// </summary>
public sealed record StageOptions
{
    /// <summary>The stage's name in statistics, failures and dead letters (default: its kind and position, e.g. <c>map#2</c>).</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Concurrent workers (default 1). Exactly this many run, whatever the number of cores: a
    /// stage of 64 workers on 2 cores has 64 workers. At least 1.
    /// </summary>
    public int Workers { get; init; } = 1;

    /// <summary>Async tasks (default) or dedicated threads for blocking and CPU-bound functions.</summary>
    public WorkerKind WorkerKind { get; init; } = WorkerKind.Tasks;

    /// <summary>
    /// The stage's input buffer, in items (default 1024). Bounded: when it is full the upstream
    /// stage waits. Items move between stages in batches of at most
    /// <see cref="PipelineOptions.TransferBatchSize"/>, so the buffer holds at most
    /// <c>Capacity + batch - 1</c> items. At least 1.
    /// </summary>
    public int Capacity { get; init; } = 1024;

    /// <summary>
    /// Whether the stage's output keeps the order of its input (default <see langword="true"/>).
    /// With several workers, a worker that finishes early leaves its output to be written on its turn
    /// and goes on; the reorder window is two batches per worker. Unordered output lets every worker
    /// write as soon as it is done.
    /// </summary>
    public bool Ordered { get; init; } = true;

    /// <summary>An optional rate limit on items started, shared by the stage's workers.</summary>
    public RateLimit? RateLimit { get; init; }

    /// <summary>An optional per-item retry policy.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Overrides the pipeline's <see cref="PipelineOptions.ErrorPolicy"/> for this stage.</summary>
    public ErrorPolicy? ErrorPolicy { get; init; }

    /// <summary>
    /// What a batch, group-by or join stage takes from these options: its <see cref="Name"/> and
    /// <see cref="Capacity"/>. Such a stage has one worker, which sees the whole stream in order
    /// (so <see cref="Ordered"/> changes nothing) and runs no per-item function, so more workers,
    /// dedicated threads, a rate limit, retries or an error policy are refused when the stage is added
    /// rather than silently ignored.
    /// </summary>
    /// <param name="stage">The stage's kind, for the message.</param>
    /// <exception cref="ArgumentException">A setting the stage cannot honour.</exception>
    internal void ValidateSingleWorker(string stage)
    {
        var refused = Workers != 1 ? $"{nameof(Workers)} = {Workers}"
            : WorkerKind != WorkerKind.Tasks ? $"{nameof(WorkerKind)} = {WorkerKind}"
            : RateLimit is not null ? nameof(RateLimit)
            : Retry is not null ? nameof(Retry)
            : ErrorPolicy is not null ? nameof(ErrorPolicy)
            : null;
        if (refused is not null)
        {
            throw new ArgumentException($"a {stage} stage runs one worker and no per-item function; it takes only Name and Capacity, not {refused}", "options");
        }
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Workers, 1, nameof(Workers));
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 1, nameof(Capacity));
        RateLimit?.Validate();
        Retry?.Validate();
    }
}
