using Braid.Channels;

namespace Braid.Samples.Patterns;

/// <summary>
/// Leader/followers over a joinable task queue (the book's patterns chapter): three workers wait on
/// one queue; the one that has waited longest (the leader) takes the next job, and the next waiting
/// worker becomes the leader while it works. The producer waits on <c>JoinAsync</c> until every job
/// has been marked done. Then the same with Braid's <see cref="WorkerPool{T}"/>, where a failing job is
/// reported at shutdown instead of being lost.
/// </summary>
public sealed class LeaderFollowersSample : ISample
{
    /// <inheritdoc />
    public string Name => "leader-followers";

    /// <inheritdoc />
    public string Description => "Three workers take turns leading over a joinable task queue; failures surface at shutdown.";

    /// <inheritdoc />
    public async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var clock = TimeProvider.System;
        var start = clock.GetTimestamp();
        string Now() => $"{clock.GetElapsedTime(start).TotalMilliseconds,5:F0} ms";

        // 1. The pattern by hand: a queue, three workers, join.
        var jobs = new AsyncQueue<int>();
        var handled = new int[3];
        var lines = new List<string>();

        async Task WorkerAsync(int id)
        {
            while (true)
            {
                int job;
                try
                {
                    job = await jobs.GetAsync(cancellationToken); // the longest waiter is the leader
                }
                catch (QueueShutDownException)
                {
                    return;
                }

                lock (lines)
                {
                    lines.Add($"{Now()}  worker {id} leads: took job {job}");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20 * (1 + (job % 3))), clock, cancellationToken);
                handled[id]++;
                jobs.TaskDone();
            }
        }

        var workers = Enumerable.Range(0, 3).Select(WorkerAsync).ToArray();
        for (var job = 1; job <= 9; job++)
        {
            await jobs.PutAsync(job, cancellationToken);
        }

        await jobs.JoinAsync(cancellationToken);
        string[] log;
        lock (lines)
        {
            log = [.. lines];
        }

        foreach (var line in log)
        {
            await output.WriteLineAsync(line);
        }

        await output.WriteLineAsync($"{Now()}  join: all 9 jobs done (per worker: {string.Join(", ", handled)})");
        jobs.Shutdown();
        await Task.WhenAll(workers);
        await output.WriteLineAsync($"{Now()}  shutdown: every worker has exited");

        // 2. The library version: a failing job is kept and reported, never swallowed.
        var pool = new WorkerPool<int>(3, async (job, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), clock, ct);
            if (job == 4)
            {
                throw new InvalidOperationException($"job {job} failed");
            }
        });
        for (var job = 1; job <= 6; job++)
        {
            await pool.PostAsync(job, cancellationToken);
        }

        await pool.JoinAsync(cancellationToken);
        var stats = pool.GetStatistics();
        await output.WriteLineAsync($"worker pool: {stats.Handled} handled, {stats.Failed} failed");
        try
        {
            await pool.ShutdownAsync(cancellationToken: cancellationToken);
        }
        catch (AggregateException error)
        {
            await output.WriteLineAsync($"shutdown reported: {string.Join("; ", error.InnerExceptions.Select(e => e.Message))}");
        }

        return 0;
    }
}
