using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Braid.Lab.Measurement;
using Braid.Lab.Reports;

namespace Braid.Lab;

/// <summary>
/// Runs the lab: sets up the workload's fixtures (record server, datasets, databases), warms the work
/// functions up, then runs the same tasks under each chosen model, one model at a time, and measures
/// each run. Finally it checks that every model produced the same results.
/// </summary>
public static class LabRunner
{
    /// <summary>Runs the experiment that <paramref name="options"/> describe.</summary>
    /// <param name="options">What to run; must pass <see cref="LabOptions.Validate"/>.</param>
    /// <param name="progress">Receives a report about every 100 ms while a model runs; may be null.</param>
    /// <param name="cancellationToken">
    /// Stops the running model (requests in flight are aborted, worker processes are killed) and skips
    /// the rest; the results then hold what was measured, with <see cref="LabResults.Cancelled"/> set.
    /// The returned task does not fault on cancellation.
    /// </param>
    /// <returns>The measurements. Never completes synchronously.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static async Task<LabResults> RunAsync(LabOptions options, IProgress<LabProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } invalid)
        {
            throw new ArgumentException(invalid, nameof(options));
        }

        var startedAt = TimeProvider.System.GetUtcNow();
        var ownsDirectory = options.WorkDirectory is null;
        var directory = options.WorkDirectory ?? Directory.CreateTempSubdirectory("braid-lab-").FullName;
        try
        {
            var recordingNs = TaskLog.CalibrateNsPerTask();
            var setupStart = Stopwatch.GetTimestamp();
            var cancelled = false;
            LabFixture? fixture = null;
            try
            {
                fixture = await options.Workload.StartAsync(options, directory, cancellationToken).ConfigureAwait(false);
                await WarmUpAsync(fixture, options.Tasks, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
            }

            var setupMs = Stopwatch.GetElapsedTime(setupStart).TotalMilliseconds;
            var runs = new List<ModelRun>();
            var runChecks = new List<string>();
            var rssMethod = ProcessStats.TryResetPeakRss()
                ? "VmHWM of /proc/self/status, reset through /proc/self/clear_refs before each model, and the largest VmRSS sample"
                : "the largest VmRSS sample of /proc/self/status (the peak mark cannot be reset here)";
            using var sampler = new Sampler();
            try
            {
                foreach (var model in options.Models)
                {
                    if (cancelled || fixture is null)
                    {
                        break;
                    }

                    var repeats = new List<ModelRun>();
                    for (var repeat = 1; repeat <= options.Repeats; repeat++)
                    {
                        var run = await RunModelAsync(model, repeat, options, fixture, sampler, progress, cancellationToken).ConfigureAwait(false);
                        repeats.Add(run);
                        if (CheckRun(run, repeat, repeats[0], options, fixture) is { } failure)
                        {
                            runChecks.Add(failure);
                        }

                        if (run.Result.Status == "cancelled")
                        {
                            cancelled = true;
                        }

                        if (run.Result.Status != "completed")
                        {
                            break;
                        }
                    }

                    var median = repeats.Where(r => r.Result.Status == "completed").OrderBy(r => r.Result.WallMs).ElementAtOrDefault((repeats.Count - 1) / 2)
                        ?? repeats[^1];
                    runs.Add(median with { Result = median.Result with { RepeatWallMs = [.. repeats.Select(r => Math.Round(r.Result.WallMs, 3))] } });
                }
            }
            finally
            {
                if (fixture is not null)
                {
                    await fixture.DisposeAsync().ConfigureAwait(false);
                }
            }

            var checks = new List<string>(fixture?.Checks ?? []);
            if (fixture is not null && runs.FirstOrDefault(r => r.Result.Status == "completed") is { } reference)
            {
                checks.AddRange(fixture.CheckResults(reference.Values));
            }

            return Assemble(options, fixture, startedAt, cancelled, runs, [.. checks, .. runChecks], new LabOverhead
            {
                RecordingNsPerTask = Math.Round(recordingNs, 1),
                SamplerPeriodMs = Sampler.Period.TotalMilliseconds,
                SamplerSamples = sampler.Samples,
                SamplerMs = Math.Round(sampler.SamplingMs, 3),
                SetupMs = Math.Round(setupMs, 3),
                RssMethod = rssMethod,
                CpuMethod = CpuMethod,
            });
        }
        finally
        {
            if (ownsDirectory)
            {
                TryDelete(directory);
            }
        }
    }

    private const string CpuMethod =
        "getrusage(RUSAGE_SELF) over the model's run (every thread, exited ones included), minus the runtime's tiered-compilation thread and the lab's sampler "
        + "(per-thread utime and stime from /proc/self/task/*/stat, in 10 ms ticks; reported as runtimeCpuMs); the record server runs in its own process and is not counted; "
        + "the processes model adds its workers' own getrusage; jitMs is the runtime's JIT compilation time during the model, on any thread (JitInfo)";

    private static LabResults Assemble(LabOptions options, LabFixture? fixture, DateTimeOffset startedAt, bool cancelled, List<ModelRun> runs, IReadOnlyList<string> checks, LabOverhead overhead)
    {
        var sequential = runs.FirstOrDefault(r => r.Result.Model == LabCatalog.Sequential.Name && r.Result.Status == "completed");
        var models = runs.Select(r => r.Result with
        {
            SpeedupOverSequential = sequential is null || r.Result.Status != "completed" || r.Result.WallMs <= 0
                ? null
                : Math.Round(sequential.Result.WallMs / r.Result.WallMs, 3),
        }).ToList();

        var completed = runs.Where(r => r.Result.Status == "completed").ToList();
        var reference = completed.FirstOrDefault();
        var disagreements = new List<string>();
        foreach (var run in completed.Skip(1))
        {
            // Failures that depend on timing (rule 157) are the workload's result, not a disagreement.
            var differing = run.Result.Digest == reference!.Result.Digest
                ? []
                : Enumerable.Range(0, run.Values.Length)
                    .Where(i => run.Values[i] != reference.Values[i] && fixture?.FailsByChance(run.Values[i]) != true && fixture?.FailsByChance(reference.Values[i]) != true)
                    .ToList();
            if (differing.Count > 0)
            {
                var first = differing[0];
                disagreements.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{run.Result.Model} differs from {reference.Result.Model} on {differing.Count} tasks (first: task {first}: '{Shorten(run.Values[first])}' vs '{Shorten(reference.Values[first])}')"));
            }
        }

        var results = new LabResults
        {
            StartedAt = startedAt,
            Workload = options.Workload.Name,
            Tasks = options.Tasks,
            LatencyMs = options.Latency.TotalMilliseconds,
            JitterMs = options.Jitter.TotalMilliseconds,
            FailureRate = options.FailureRate,
            CpuSize = options.CpuSize,
            Concurrency = options.Concurrency,
            Repeats = options.Repeats,
            Workers = options.Workers,
            PooledConnections = options.PooledConnections,
            Seed = options.Seed,
            Cancelled = cancelled,
            ResultsAgree = disagreements.Count == 0,
            Disagreements = disagreements,
            Checks = checks,
            Overhead = overhead,
            Models = models,
        };
        return results with { Findings = Narrative.Explain(results) };
    }

    /// <summary>
    /// Checks one run (one repeat of one model) on its own: it completed, it failed exactly the tasks the
    /// seed makes the server fail (none without <c>--failure-rate</c>), it stored one row per success,
    /// and a repeat computed what the model's first run did. A cancelled run is not checked: what it
    /// did not do is not a failure. Returns the failure, or null.
    /// </summary>
    private static string? CheckRun(ModelRun run, int repeat, ModelRun first, LabOptions options, LabFixture fixture)
    {
        var r = run.Result;
        var which = options.Repeats > 1 ? string.Create(CultureInfo.InvariantCulture, $"{r.Model} (repeat {repeat})") : r.Model;
        if (r.Status == "cancelled")
        {
            return null;
        }

        if (r.Status != "completed")
        {
            return $"FAILED: {which} did not complete: {r.Error}";
        }

        var injected = Enumerable.Range(0, options.Tasks).Count(fixture.FailsOnPurpose);
        var unexpected = Enumerable.Range(0, run.Values.Length)
            .Where(i => !run.Values[i].StartsWith("ok:", StringComparison.Ordinal) && !fixture.FailsOnPurpose(i) && !fixture.FailsByChance(run.Values[i]))
            .ToList();
        if (unexpected.Count > 0)
        {
            var i = unexpected[0];
            return string.Create(CultureInfo.InvariantCulture,
                $"FAILED: {which}: {unexpected.Count} of {r.Tasks.Count + r.TasksNotRun} tasks failed that the workload did not make fail ({injected} injected by --failure-rate); first: task {i}: {Shorten(run.Values[i])}");
        }

        if (r.StoredRows is { } rows && rows != r.TasksOk)
        {
            return string.Create(CultureInfo.InvariantCulture, $"FAILED: {which}: the store holds {rows} rows for {r.TasksOk} tasks that succeeded");
        }

        return repeat > 1 && first.Result.Status == "completed" && r.Digest != first.Result.Digest
            ? string.Create(CultureInfo.InvariantCulture, $"FAILED: {which} computed other results than its first run (digest {r.Digest} vs {first.Result.Digest})")
            : null;
    }

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..57] + "...";

    private static async Task WarmUpAsync(LabFixture fixture, int tasks, CancellationToken cancellationToken)
    {
        // JIT-compile and touch the work functions once in each form, outside every model, so that the
        // first model measured does not pay for compilation the others get for free.
        var session = fixture.OpenSession("warmup");
        await using (session.ConfigureAwait(false))
        {
            WarmUpBlocking(session, cancellationToken);
            if (tasks == 1)
            {
                // One index only, and a store keeps it once: the async form warms up in a store of its own.
                var single = fixture.OpenSession("warmup-async");
                await using (single.ConfigureAwait(false))
                {
                    _ = await single.RunAsync(0, cancellationToken).ConfigureAwait(false);
                    _ = await single.CompleteAsync().ConfigureAwait(false);
                }
            }

            // A burst of concurrent async tasks (distinct indices: the warm-up store keeps each once),
            // so that the record server's process, started cold, has accepted several connections at
            // once before the first concurrent model asks it to.
            var burst = Enumerable.Range(1, Math.Max(0, Math.Min(8, tasks - 1))).Select(i => session.RunAsync(i, cancellationToken).AsTask()).ToList();
            await Task.WhenAll(burst).ConfigureAwait(false);
            _ = await session.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static void WarmUpBlocking(LabSession session, CancellationToken cancellationToken) => _ = session.Run(0, cancellationToken);

    private static async Task<ModelRun> RunModelAsync(LabModel model, int repeat, LabOptions options, LabFixture fixture, Sampler sampler, IProgress<LabProgress>? progress, CancellationToken cancellationToken)
    {
        var name = model.Name;
        var description = model.Describe(options);
        var log = new TaskLog(options.Tasks);
        var runName = $"{name}-{repeat}";
        var session = model.RunsOutOfProcess ? null : fixture.OpenSession(runName);
        var tasks = new LabTasks(runName, options, fixture, session, log);
        var workers = tasks.Workers;
        long? stored = null;
        var status = "completed";
        string? error = null;

        // Start every model from the same state: a collected heap and a fresh peak-RSS mark.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var hwmReset = ProcessStats.TryResetPeakRss();
        sampler.Reset();
        var before = ProcessStats.Take();
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime(currentThread: false).TotalMilliseconds;
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            var work = RunAndCompleteAsync();
            while (progress is not null && !work.IsCompleted)
            {
                progress.Report(new LabProgress(name, repeat, log.Done, log.Count));
                await Task.WhenAny(work, Task.Delay(100, CancellationToken.None)).ConfigureAwait(false);
            }

            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            status = "cancelled";
            error = "cancelled while running; the tasks that finished are kept";
        }
        catch (Exception e)
        {
            status = "failed";
            error = e.GetType().Name + ": " + e.Message;
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
        }

        var t1 = Stopwatch.GetTimestamp();
        var usage = ProcessStats.Take().Minus(before);
        var jitMs = System.Runtime.JitInfo.GetCompilationTime(currentThread: false).TotalMilliseconds - jitBefore;
        var (sampledRss, peakThreads) = sampler.Peaks();
        var (runtimeUserMs, runtimeSystemMs) = sampler.RuntimeCpu();
        var peakRss = hwmReset ? Math.Max(ProcessStats.ReadStatus().Hwm, sampledRss) : sampledRss;
        progress?.Report(new LabProgress(name, repeat, log.Done, log.Count));

        var wallMs = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
        var records = new List<TaskRecord>(log.Count);
        var values = new string[log.Count];
        var ok = 0;
        for (var i = 0; i < log.Count; i++)
        {
            ref var slot = ref log.Slots[i];
            if (!slot.Ran)
            {
                values[i] = "notrun";
                continue;
            }

            ok += slot.Ok ? 1 : 0;
            values[i] = (slot.Ok ? "ok:" : "fail:") + slot.Value;
            records.Add(new TaskRecord
            {
                Index = i,
                Lane = slot.Lane < 0 ? "w" + (-1 - slot.Lane).ToString(CultureInfo.InvariantCulture) : "t" + slot.Lane.ToString(CultureInfo.InvariantCulture),
                StartMs = Math.Round(Stopwatch.GetElapsedTime(t0, slot.Start).TotalMilliseconds, 3),
                EndMs = Math.Round(Stopwatch.GetElapsedTime(t0, slot.End).TotalMilliseconds, 3),
                Ok = slot.Ok,
                Error = slot.Ok ? null : slot.Value,
            });
        }

        var latency = LatencySummary.From(records.Select(r => r.EndMs - r.StartMs));
        var ran = records.Count;
        var result = new ModelResult
        {
            Model = name,
            Status = status,
            Error = error ?? FirstWorkerError(workers),
            Description = description,
            WallMs = Math.Round(wallMs, 3),
            ThroughputPerSecond = wallMs > 0 ? Math.Round(ran / (wallMs / 1000.0), 2) : 0,
            LatencyP50Ms = latency.P50Ms,
            LatencyP95Ms = latency.P95Ms,
            LatencyP99Ms = latency.P99Ms,
            LatencyMaxMs = latency.MaxMs,
            UserCpuMs = Math.Round(Math.Max(0, usage.UserCpuMs - runtimeUserMs) + workers.Sum(w => w.UserCpuMs), 3),
            SystemCpuMs = Math.Round(Math.Max(0, usage.SystemCpuMs - runtimeSystemMs) + workers.Sum(w => w.SystemCpuMs), 3),
            RuntimeCpuMs = Math.Round(runtimeUserMs + runtimeSystemMs, 3),
            JitMs = Math.Round(jitMs, 3),
            PeakRssBytes = peakRss,
            WorkersPeakRssBytes = workers.Sum(w => w.PeakRssBytes),
            PeakThreads = peakThreads,
            VoluntaryContextSwitches = usage.VoluntarySwitches + workers.Sum(w => w.VoluntaryContextSwitches),
            InvoluntaryContextSwitches = usage.InvoluntarySwitches + workers.Sum(w => w.InvoluntaryContextSwitches),
            AllocatedBytes = usage.AllocatedBytes + workers.Sum(w => w.AllocatedBytes),
            TasksOk = ok,
            TasksFailed = records.Count - ok,
            TasksNotRun = log.Count - records.Count,
            StoredRows = stored,
            Digest = Digest(values),
            Workers = workers,
            Tasks = records,
        };
        return new ModelRun(result, values);

        async Task RunAndCompleteAsync()
        {
            await model.RunAsync(tasks, cancellationToken).ConfigureAwait(false);
            stored = session is null ? tasks.StoredRows : await session.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static string? FirstWorkerError(IReadOnlyList<WorkerResult> workers)
    {
        var failed = workers.Where(w => w.Error is not null).ToList();
        return failed.Count == 0 ? null : string.Join("; ", failed.Select(w => w.Error));
    }

    private static string Digest(string[] values)
    {
        var text = new StringBuilder();
        for (var i = 0; i < values.Length; i++)
        {
            text.Append(i).Append(':').Append(values[i]).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary directory left behind is not worth failing a measured run for.
        }
    }

    private sealed record ModelRun(ModelResult Result, string[] Values);
}
