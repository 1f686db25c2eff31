using System.Diagnostics;
using Braid.Lab.Workloads;

namespace Braid.Lab.Measurement;

/// <summary>One task's raw record: Stopwatch timestamps (CLOCK_MONOTONIC on Linux, shared by every process of the machine), its lane and outcome.</summary>
internal struct TaskSlot
{
    public long Start;
    public long End;
    public int Lane;
    public bool Ran;
    public bool Ok;
    public string? Value;
}

/// <summary>
/// The per-task log of one model run: a preallocated array written once per task by whichever thread
/// runs it (no lock: each index has one writer), plus a counter for the progress display.
/// </summary>
internal sealed class TaskLog
{
    private readonly TaskSlot[] _slots;
    private int _done;

    public TaskLog(int tasks) => _slots = new TaskSlot[tasks];

    public int Count => _slots.Length;

    public int Done => Volatile.Read(ref _done);

    public TaskSlot[] Slots => _slots;

    public void Record(int index, long start, int lane, in TaskOutcome outcome)
    {
        ref var slot = ref _slots[index];
        slot.Start = start;
        slot.End = Stopwatch.GetTimestamp();
        slot.Lane = lane;
        slot.Ok = outcome.Ok;
        slot.Value = outcome.Value;
        slot.Ran = true;
        Interlocked.Increment(ref _done);
    }

    /// <summary>Records a task whose timestamps and lane come from elsewhere (a worker process).</summary>
    public void RecordRaw(int index, long start, long end, int lane, in TaskOutcome outcome)
    {
        ref var slot = ref _slots[index];
        slot.Start = start;
        slot.End = end;
        slot.Lane = lane;
        slot.Ok = outcome.Ok;
        slot.Value = outcome.Value;
        slot.Ran = true;
        Interlocked.Increment(ref _done);
    }

    /// <summary>Measures what <see cref="Record"/> costs, in nanoseconds per task, on an empty task: the best of five rounds (the first ones pay for JIT compilation).</summary>
    public static double CalibrateNsPerTask()
    {
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            best = Math.Min(best, CalibrationRound());
        }

        return best;
    }

    private static double CalibrationRound()
    {
        const int n = 20_000;
        var log = new TaskLog(n);
        var outcome = TaskOutcome.Success("x");
        var begin = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            log.Record(i, Stopwatch.GetTimestamp(), Environment.CurrentManagedThreadId, outcome);
        }

        return Stopwatch.GetElapsedTime(begin).TotalNanoseconds / n;
    }
}
