using Braid.Lab.Reports;

namespace Braid.Lab.Tests.Reports;

/// <summary>
/// Issue 12: the findings pinned word for word, one golden test per workload, on fixed measurements,
/// so that what they claim follows from the numbers (and only from them).
/// </summary>
public sealed class FindingsGoldenTests
{
    private const long Mb = 1024 * 1024;

    [Fact]
    public void Io_findings()
    {
        var results = Results("io", [Seq(10_000), Threads(150), Processes(5_600, 250), Async(110, 18), Pool(260)]);
        Assert.Equal(
        [
            "The async model finished 200 io tasks in 110.0 ms, 90.9x faster than running them one after another (10.00 s).",
            "Measured in units of one request's latency (50 ms): sequential 200x, threads 3x, processes 112x, async 2.2x, pool 5.2x. Waiting for I/O costs nothing but time, so overlapping the waits is what pays.",
            "One thread per task peaked at 176 threads and 118.0 MB of memory; async ran the same tasks with at most 18 threads and 122.0 MB.",
            "The thread pool with blocking I/O, 50 tasks at a time, reached 38.5x with a peak of 69 threads: every task in flight holds a blocked thread, where an awaited HTTP request holds none (the store's SQLite writer still blocks its one thread).",
            "The 2 worker processes each ran 100 tasks one after another with blocking I/O, so the model took 5.60 s: each worker waited for its requests in turn, at most 2 at a time. Starting a worker took 250 ms on average (4% of the wall time). Together they held 233.0 MB at peak.",
            "All 5 completed models produced the same results (digest 0123456789abcdef).",
        ],
        Narrative.Explain(results));
    }

    [Fact]
    public void Db_findings_do_not_claim_that_async_avoids_blocking()
    {
        var results = Results("db", [Seq(200), Async(110, 15), Pool(45)]) with { LatencyMs = 0 };
        Assert.Equal(
        [
            "The pool model finished 200 db tasks in 45.0 ms, 4.4x faster than running them one after another (200.0 ms).",
            "The thread pool with blocking I/O, 50 tasks at a time, reached 4.4x with a peak of 69 threads: every task in flight holds a blocked thread, and async does no better here: Microsoft.Data.Sqlite's async calls complete synchronously, so they block too.",
            "All 3 completed models produced the same results (digest 0123456789abcdef).",
        ],
        Narrative.Explain(results));
    }

    [Fact]
    public void Cpu_findings()
    {
        var results = Results("cpu", [Seq(4_000), Threads(2_100), Processes(2_500, 300), Model("loop", 3_900)]) with { LatencyMs = 0 };
        Assert.Equal(
        [
            "The threads model finished 200 cpu tasks in 2.10 s, 1.9x faster than running them one after another (4.00 s).",
            "The 2 worker processes each ran 100 tasks one after another with blocking I/O, so the model took 2.50 s. Starting a worker took 300 ms on average (12% of the wall time). Together they held 233.0 MB at peak.",
            "cpu-bound work cannot run faster than the 2 processors allow, and only if nothing else uses them: the best speedup here was 1.9x. The loop runs every task on one thread, so it can use one core at most (1.0x here; anything above 1x is noise).",
            "All 4 completed models produced the same results (digest 0123456789abcdef).",
        ],
        Narrative.Explain(results));
    }

    [Fact]
    public void Mixed_findings_with_injected_failures()
    {
        var results = Results("mixed", [Seq(10_500) with { TasksOk = 180, TasksFailed = 20 }, Async(300, 20) with { TasksOk = 180, TasksFailed = 20 }]) with { FailureRate = 0.1 };
        Assert.Equal(
        [
            "The async model finished 200 mixed tasks in 300.0 ms, 35x faster than running them one after another (10.50 s).",
            "Measured in units of one request's latency (50 ms): sequential 210x, async 6x. Waiting for I/O costs nothing but time, so overlapping the waits is what pays.",
            "20 of 200 tasks failed under sequential (failure rate 0.1); each failure was reported per task and none stopped the run.",
            "All 2 completed models produced the same results (digest 0123456789abcdef).",
        ],
        Narrative.Explain(results));
    }

    [Fact]
    public void A_cancelled_run_counts_never_started_tasks_apart_and_claims_no_disagreement()
    {
        var cancelled = Seq(1_700) with { Status = "cancelled", TasksOk = 32, TasksFailed = 0, TasksNotRun = 168 };
        var results = Results("io", [cancelled]) with { Cancelled = true };
        Assert.Equal(
        [
            "The run was cancelled during sequential, which ran 32 of 200 tasks (32 ok, 0 failed; 168 never started, counted neither); the models after it did not run.",
            "No model completed, so there is nothing to compare.",
        ],
        Narrative.Explain(results));
    }

    [Fact]
    public void A_worker_that_died_is_named_with_its_message_and_no_memory_is_made_up()
    {
        var crashed = new WorkerResult
        {
            Worker = 1,
            ProcessId = 4242,
            ExitCode = 1,
            TasksGiven = 100,
            TasksReturned = 2,
            StartupMs = 300,
            Error = "worker 1 (pid 4242) exited with code 1 after 2 of 100 tasks; 98 tasks counted failed; stderr: Unhandled exception: System.InvalidOperationException: boom",
        };
        var processes = Processes(5_400, 300) with { TasksOk = 102, TasksFailed = 98, WorkersPeakRssBytes = 116 * Mb };
        processes = processes with { Workers = [processes.Workers[0], crashed] };
        var results = Results("io", [processes]);
        Assert.Equal(
        [
            "The processes model finished 200 io tasks in 5.40 s.",
            "Measured in units of one request's latency (50 ms): processes 108x. Waiting for I/O costs nothing but time, so overlapping the waits is what pays.",
            "The 2 worker processes each ran 100 tasks one after another with blocking I/O, so the model took 5.40 s: each worker waited for its requests in turn, at most 2 at a time. Starting a worker took 300 ms on average (6% of the wall time). The 1 that finished held 116.5 MB at peak; the others died before reporting theirs.",
            "98 of 200 tasks failed under processes because a worker died: worker 1 (pid 4242) exited with code 1 after 2 of 100 tasks; 98 tasks counted failed; stderr: Unhandled exception: System.InvalidOperationException: boom.",
            "Only processes completed, so there was no other model to compare its results with (digest 0123456789abcdef).",
        ],
        Narrative.Explain(results));
    }

    [Fact]
    public void A_count_of_one_is_singular()
    {
        ModelResult One(ModelResult model) => model with { TasksOk = 1 };
        var threads = One(Threads(60)) with { PeakThreads = 1 };
        var pool = One(Pool(55)) with { PeakThreads = 1 };
        var processes = One(Processes(80, 20)) with { Workers = [Processes(80, 20).Workers[0] with { TasksGiven = 1, TasksReturned = 1 }] };
        var results = Results("io", [One(Seq(100)), threads, processes, One(Async(50, 1)), pool]) with { Tasks = 1, Concurrency = 1, Workers = 1 };
        Assert.Equal(
        [
            "The async model finished 1 io task in 50.0 ms, 2x faster than running them one after another (100.0 ms).",
            "Measured in units of one request's latency (50 ms): sequential 2x, threads 1.2x, processes 1.6x, async 1x, pool 1.1x. Waiting for I/O costs nothing but time, so overlapping the waits is what pays.",
            "One thread per task peaked at 1 thread and 118.0 MB of memory; async ran the same tasks with at most 1 thread and 122.0 MB.",
            "The thread pool with blocking I/O, 1 task at a time, reached 1.8x with a peak of 1 thread: every task in flight holds a blocked thread, where an awaited HTTP request holds none (the store's SQLite writer still blocks its one thread).",
            "The one worker process ran 1 task one after another with blocking I/O, so the model took 80.0 ms: it waited for its requests one at a time. Starting a worker took 20 ms on average (25% of the wall time). Together they held 233.0 MB at peak.",
            "All 5 completed models produced the same results (digest 0123456789abcdef).",
        ],
        Narrative.Explain(results));
    }

    private static LabResults Results(string workload, IReadOnlyList<ModelResult> models) => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        Workload = workload,
        Tasks = 200,
        LatencyMs = 50,
        Concurrency = 50,
        Workers = 2,
        ProcessorCount = 2,
        ResultsAgree = true,
        Overhead = new LabOverhead(),
        Models = models,
    };

    private static ModelResult Model(string name, double wallMs) => new()
    {
        Model = name,
        Status = "completed",
        WallMs = wallMs,
        TasksOk = 200,
        PeakThreads = 20,
        PeakRssBytes = 120 * Mb,
        Digest = "0123456789abcdef",
    };

    private static ModelResult Seq(double wallMs) => Model("sequential", wallMs);

    private static ModelResult Threads(double wallMs) => Model("threads", wallMs) with { PeakThreads = 176, PeakRssBytes = 118 * Mb };

    private static ModelResult Async(double wallMs, int threads) => Model("async", wallMs) with { PeakThreads = threads, PeakRssBytes = 122 * Mb };

    private static ModelResult Pool(double wallMs) => Model("pool", wallMs) with { PeakThreads = 69 };

    private static ModelResult Processes(double wallMs, double startupMs) => Model("processes", wallMs) with
    {
        WorkersPeakRssBytes = 233 * Mb,
        Workers =
        [
            new WorkerResult { Worker = 0, ProcessId = 4241, ExitCode = 0, TasksGiven = 100, TasksReturned = 100, StartupMs = startupMs, PeakRssBytes = (long)(116.5 * Mb) },
            new WorkerResult { Worker = 1, ProcessId = 4242, ExitCode = 0, TasksGiven = 100, TasksReturned = 100, StartupMs = startupMs, PeakRssBytes = (long)(116.5 * Mb) },
        ],
    };
}
