using System.Globalization;

namespace Braid.Lab.Reports;

/// <summary>Writes a few sentences from a run's own numbers: what was fastest, what it cost, what the lesson is.</summary>
internal static class Narrative
{
    public static IReadOnlyList<string> Explain(LabResults results)
    {
        var lines = new List<string>();
        var done = results.Models.Where(m => m.Status == "completed").ToList();
        var cancelled = results.Models.FirstOrDefault(m => m.Status == "cancelled");
        if (results.Cancelled)
        {
            var skipped = results.Models.Count == 0 ? "before any model ran" : cancelled is null
                ? F($"after {done.Count} completed {OneOrMany(done.Count, "model", "models")}")
                : F($"during {cancelled.Model}, which ran {cancelled.TasksOk + cancelled.TasksFailed} of {Plural.Count(results.Tasks, "task")} ({cancelled.TasksOk} ok, {cancelled.TasksFailed} failed; {cancelled.TasksNotRun} never started, counted neither)");
            lines.Add(F($"The run was cancelled {skipped}; the models after it did not run."));
        }

        if (done.Count == 0)
        {
            lines.Add("No model completed, so there is nothing to compare.");
            return lines;
        }

        var sequential = done.FirstOrDefault(m => m.Model == LabCatalog.Sequential.Name);
        var fastest = done.MinBy(m => m.WallMs)!;
        var slowest = done.MaxBy(m => m.WallMs)!;
        lines.Add(sequential is not null && fastest != sequential
            ? F($"The {fastest.Model} model finished {Plural.Count(results.Tasks, results.Workload + " task")} in {Ms(fastest.WallMs)}, {sequential.WallMs / fastest.WallMs:0.#}x faster than running them one after another ({Ms(sequential.WallMs)}).")
            : done.Count == 1
                ? F($"The {fastest.Model} model finished {Plural.Count(results.Tasks, results.Workload + " task")} in {Ms(fastest.WallMs)}.")
                : F($"The fastest model was {fastest.Model} ({Ms(fastest.WallMs)}); the slowest was {slowest.Model} ({Ms(slowest.WallMs)})."));

        if (results.Workload is "io" or "mixed" && results.LatencyMs > 0)
        {
            var one = results.LatencyMs + (results.JitterMs / 2);
            var parts = done.Select(m => F($"{m.Model} {m.WallMs / one:0.#}x")).ToList();
            lines.Add(F($"Measured in units of one request's latency ({one:0.#} ms): {string.Join(", ", parts)}. Waiting for I/O costs nothing but time, so overlapping the waits is what pays."));
        }

        var threads = done.FirstOrDefault(m => m.Model == LabCatalog.Threads.Name);
        var asyncModel = done.FirstOrDefault(m => m.Model == LabCatalog.Async.Name);
        if (threads is not null && asyncModel is not null)
        {
            lines.Add(F($"One thread per task peaked at {Plural.Count(threads.PeakThreads, "thread")} and {Mb(threads.PeakRssBytes)} of memory; async ran the same tasks with at most {Plural.Count(asyncModel.PeakThreads, "thread")} and {Mb(asyncModel.PeakRssBytes)}."));
        }

        var pool = done.FirstOrDefault(m => m.Model == LabCatalog.Pool.Name);
        if (pool is not null && sequential is not null && results.Workload is not ("cpu" or "sqlite-naive" or "sqlite-single"))
        {
            // Only HTTP waits are truly asynchronous here: Microsoft.Data.Sqlite's async calls complete
            // synchronously, so for db the async models block their threads just the same.
            var lesson = results.Workload is "db"
                ? "every task in flight holds a blocked thread, and async does no better here: Microsoft.Data.Sqlite's async calls complete synchronously, so they block too"
                : "every task in flight holds a blocked thread, where an awaited HTTP request holds none (the store's SQLite writer still blocks its one thread)";
            lines.Add(F($"The thread pool with blocking I/O, {Plural.Count(results.Concurrency, "task")} at a time, reached {sequential.WallMs / pool.WallMs:0.#}x with a peak of {Plural.Count(pool.PeakThreads, "thread")}: {lesson}."));
        }

        var processes = done.FirstOrDefault(m => m.Model == LabCatalog.Processes.Name);
        if (processes is not null && processes.Workers.Count > 0)
        {
            lines.Add(Processes(results, processes));
        }

        if (results.Workload is "cpu")
        {
            var best = done.Max(m => sequential is null ? 0 : sequential.WallMs / m.WallMs);
            var loop = done.FirstOrDefault(m => m.Model == LabCatalog.Loop.Name);
            lines.Add(F($"cpu-bound work cannot run faster than the {results.ProcessorCount} processors allow, and only if nothing else uses them: the best speedup here was {best:0.0}x.")
                + (loop is not null && sequential is not null ? F($" The loop runs every task on one thread, so it can use one core at most ({sequential.WallMs / loop.WallMs:0.0}x here; anything above 1x is noise).") : ""));
        }

        if (results.Workload is "sqlite-naive" or "sqlite-single")
        {
            lines.AddRange(Sqlite(results, done));
        }

        var failures = done.Where(m => m.TasksFailed > 0).ToList();
        if (failures.Count > 0)
        {
            var failed = failures[0];
            var died = failed.Workers.Where(w => w.Error is not null).Select(w => w.Error).ToList();
            lines.Add(died.Count > 0
                ? F($"{failed.TasksFailed} of {Plural.Count(results.Tasks, "task")} failed under {failed.Model} because {OneOrMany(died.Count, "a worker", "workers")} died: {string.Join("; ", died)}.")
                : F($"{failed.TasksFailed} of {Plural.Count(results.Tasks, "task")} failed under {failed.Model}{(results.FailureRate > 0 ? F($" (failure rate {results.FailureRate:0.##})") : "")}; each failure was reported per task and none stopped the run."));
        }

        var digests = done.Select(m => m.Digest).Distinct().Count();
        lines.Add(results.ResultsAgree
            ? digests > 1
                ? F($"The {done.Count} completed models agree on every task that did not fail by chance; which tasks failed depends on timing and differs from model to model, so their digests differ ({digests} distinct).")
                : done.Count == 1
                ? F($"Only {done[0].Model} completed, so there was no other model to compare its results with (digest {done[0].Digest}).")
                : F($"All {done.Count} completed models produced the same results (digest {done[0].Digest}).")
            : "The models did NOT all produce the same results: " + string.Join("; ", results.Disagreements) + ".");
        return lines;
    }

    /// <summary>
    /// The SQLite before/after (rule 157): per model, the writes that failed and the first error, that the file
    /// holds exactly the rows that succeeded, why the async models did not fail, and where the fix is.
    /// </summary>
    private static IEnumerable<string> Sqlite(LabResults results, List<ModelResult> done)
    {
        var naive = results.Workload is "sqlite-naive";
        var parts = done.Select(m => F($"{m.Model} {m.TasksFailed}")).ToList();
        var firstError = done.SelectMany(m => m.Tasks).FirstOrDefault(t => !t.Ok)?.Error;
        var failed = done.Sum(m => m.TasksFailed);
        var how = naive
            ? "Each task opened its own connection and wrote in a deferred transaction (busy timeout 1 s)"
            : "Each task handed its row to one writer (a bounded channel, WAL, batched BEGIN IMMEDIATE transactions)";
        yield return failed == 0
            ? F($"{how}: no write failed under any model ({Plural.Count(results.Tasks, "row")} each).")
            : F($"{how}. Writes that failed, of {results.Tasks}: {string.Join(", ", parts)}; the first error: {firstError?.TrimEnd('.')}.");

        var counted = done.Where(m => m.StoredRows is not null).ToList();
        if (counted.Count == done.Count && done.All(m => m.StoredRows == m.TasksOk))
        {
            yield return F($"No row was lost silently: in every model's file the rows written plus the writes that failed make the {results.Tasks} attempted (counted in the file, and each row checked against its task).");
        }

        if (naive && failed > 0 && counted.Count == done.Count)
        {
            // The speedup column counts tasks, and a failed write is a task done quickly: rows are the work.
            var rates = done.Select(m => F($"{m.Model} {m.StoredRows / Math.Max(m.WallMs / 1000, 1e-9):0}")).ToList();
            yield return F($"Counted in rows written, not tasks: {string.Join(", ", rates)} rows/s; a write that failed fast is no work done, so a model's speedup here overstates it.");
        }

        if (naive)
        {
            var quiet = done.Where(m => m.Model is "async" or "async-bounded" or "loop" && m.TasksFailed == 0).Select(m => m.Model).ToList();
            if (quiet.Count > 0 && failed > 0)
            {
                yield return F($"{string.Join(", ", quiet)} failed none, and that is not a fix: Microsoft.Data.Sqlite's async calls complete before they return, so the 'concurrent' tasks wrote one after another.");
            }

            yield return "The fix is one writer: run the same models with --workload sqlite-single.";
        }
    }

    /// <summary>
    /// What the processes model's time went to: each worker runs its block of tasks one after another,
    /// so for waiting work the run is (tasks / workers) waits in turn; start-up is said with its share.
    /// Memory is said only for workers that reported it (a worker that died reports none).
    /// </summary>
    private static string Processes(LabResults results, ModelResult processes)
    {
        var workers = processes.Workers;
        var started = workers.Where(w => w.TasksReturned > 0).ToList();
        var startup = started.Count > 0 ? started.Average(w => w.StartupMs) : 0;
        var blocks = workers.Select(w => w.TasksGiven).Distinct().Order().ToList();
        var block = blocks.Count == 1 ? F($"{blocks[0]}") : F($"{blocks[0]} to {blocks[^1]}");
        var who = workers.Count == 1 ? "The one worker process ran" : F($"The {workers.Count} worker processes each ran");
        var text = F($"{who} {block} {OneOrMany(blocks[^1], "task", "tasks")} one after another with blocking I/O, so the model took {Ms(processes.WallMs)}");
        text += results.Workload is "io" or "mixed" && results.LatencyMs > 0
            ? workers.Count == 1 ? ": it waited for its requests one at a time." : F($": each worker waited for its requests in turn, at most {workers.Count} at a time.")
            : ".";
        if (started.Count > 0)
        {
            text += F($" Starting a worker took {startup:0} ms on average ({100 * startup / Math.Max(processes.WallMs, 1):0}% of the wall time).");
        }

        var reported = workers.Where(w => w.PeakRssBytes > 0).ToList();
        if (reported.Count == workers.Count)
        {
            text += F($" Together they held {Mb(processes.WorkersPeakRssBytes)} at peak.");
        }
        else if (reported.Count > 0)
        {
            text += F($" The {reported.Count} that finished held {Mb(reported.Sum(w => w.PeakRssBytes))} at peak; the others died before reporting theirs.");
        }
        else
        {
            text += " No worker lived to report its memory.";
        }

        return text;
    }

    private static string OneOrMany(int count, string one, string many) => count == 1 ? one : many;

    internal static string Ms(double ms) => ms >= 1000 ? F($"{ms / 1000:0.00} s") : F($"{ms:0.0} ms");

    internal static string Mb(long bytes) => F($"{bytes / 1048576.0:0.0} MB");

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
