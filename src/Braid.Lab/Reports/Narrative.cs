using System.Globalization;

namespace Braid.Lab.Reports;

/// <summary>Writes a few sentences from a run's own numbers: what was fastest, what it cost, what the lesson is.</summary>
internal static class Narrative
{
    public static IReadOnlyList<string> Explain(LabResults results)
    {
        var lines = new List<string>();
        var done = results.Models.Where(m => m.Status == "completed").ToList();
        if (done.Count == 0)
        {
            lines.Add("No model completed, so there is nothing to compare.");
            return lines;
        }

        var sequential = done.FirstOrDefault(m => m.Model == "sequential");
        var fastest = done.MinBy(m => m.WallMs)!;
        var slowest = done.MaxBy(m => m.WallMs)!;
        lines.Add(sequential is not null && fastest != sequential
            ? F($"The {fastest.Model} model finished {results.Tasks} {results.Workload} tasks in {Ms(fastest.WallMs)}, {sequential.WallMs / fastest.WallMs:0.#}x faster than running them one after another ({Ms(sequential.WallMs)}).")
            : F($"The fastest model was {fastest.Model} ({Ms(fastest.WallMs)}); the slowest was {slowest.Model} ({Ms(slowest.WallMs)})."));

        if (results.Workload is "io" or "mixed" && results.LatencyMs > 0)
        {
            var one = results.LatencyMs + (results.JitterMs / 2);
            var parts = done.Select(m => F($"{m.Model} {m.WallMs / one:0.#}x")).ToList();
            lines.Add(F($"Measured in units of one request's latency ({one:0.#} ms): {string.Join(", ", parts)}. Waiting for I/O costs nothing but time, so overlapping the waits is what pays."));
        }

        var threads = done.FirstOrDefault(m => m.Model == "threads");
        var asyncModel = done.FirstOrDefault(m => m.Model == "async");
        if (threads is not null && asyncModel is not null)
        {
            lines.Add(F($"One thread per task peaked at {threads.PeakThreads} threads and {Mb(threads.PeakRssBytes)} of memory; async ran the same tasks with at most {asyncModel.PeakThreads} threads and {Mb(asyncModel.PeakRssBytes)}."));
        }

        var pool = done.FirstOrDefault(m => m.Model == "pool");
        if (pool is not null && sequential is not null && results.Workload is not "cpu")
        {
            lines.Add(F($"The thread pool with blocking I/O, {results.Concurrency} tasks at a time, reached {sequential.WallMs / pool.WallMs:0.#}x with a peak of {pool.PeakThreads} threads: every task in flight holds a blocked thread, which async avoids by not blocking at all."));
        }

        var processes = done.FirstOrDefault(m => m.Model == "processes");
        if (processes is not null && processes.Workers.Count > 0)
        {
            var startup = processes.Workers.Average(w => w.StartupMs);
            lines.Add(F($"The {processes.Workers.Count} worker processes needed {startup:0} ms on average to start before their first task and together held {Mb(processes.WorkersPeakRssBytes)} at peak; they pay off only when the work outweighs that start-up."));
        }

        if (results.Workload is "cpu")
        {
            var best = done.Max(m => sequential is null ? 0 : sequential.WallMs / m.WallMs);
            var loop = done.FirstOrDefault(m => m.Model == "loop");
            lines.Add(F($"cpu-bound work cannot run faster than the {results.ProcessorCount} processors allow, and only if nothing else uses them: the best speedup here was {best:0.0}x.")
                + (loop is not null && sequential is not null ? F($" The loop runs every task on one thread, so it can use one core at most ({sequential.WallMs / loop.WallMs:0.0}x here; anything above 1x is noise).") : ""));
        }

        var failures = done.Where(m => m.TasksFailed > 0).ToList();
        if (failures.Count > 0)
        {
            lines.Add(F($"{failures[0].TasksFailed} of {results.Tasks} tasks failed under {failures[0].Model}{(results.FailureRate > 0 ? F($" (failure rate {results.FailureRate:0.##})") : "")}; each failure was reported per task and none stopped the run."));
        }

        lines.Add(results.ResultsAgree
            ? F($"All {done.Count} completed models produced the same results (digest {done[0].Digest}).")
            : "The models did NOT all produce the same results: " + string.Join("; ", results.Disagreements) + ".");
        return lines;
    }

    internal static string Ms(double ms) => ms >= 1000 ? F($"{ms / 1000:0.00} s") : F($"{ms:0.0} ms");

    internal static string Mb(long bytes) => F($"{bytes / 1048576.0:0.0} MB");

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
