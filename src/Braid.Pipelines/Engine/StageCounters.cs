using System.Diagnostics;

namespace Braid.Pipelines.Engine;

/// <summary>The live counters of one stage, updated once per segment, never per item.</summary>
internal sealed class StageCounters
{
    private readonly KeyValuePair<string, object?> _tag;
    private int _active;
    private long _in;
    private long _out;
    private long _failed;
    private long _retries;
    private long _busyTicks;

    public StageCounters(string name, int workers, LinkBase? input, string pipeline)
    {
        Name = name;
        Workers = workers;
        Input = input;
        _active = workers;
        _tag = new("braid.pipeline.stage", pipeline + "/" + name);
    }

    public string Name { get; }

    public int Workers { get; }

    public LinkBase? Input { get; }

    /// <summary>Runs when the last worker of the stage has stopped (completes the stage's output).</summary>
    public Action? Stopped { get; set; }

    public int ActiveWorkers => Volatile.Read(ref _active);

    public void AddIn(int count)
    {
        Interlocked.Add(ref _in, count);
        if (PipelineTelemetry.ItemsIn.Enabled)
        {
            PipelineTelemetry.ItemsIn.Add(count, _tag);
        }
    }

    public void AddOut(int count)
    {
        Interlocked.Add(ref _out, count);
        if (PipelineTelemetry.ItemsOut.Enabled)
        {
            PipelineTelemetry.ItemsOut.Add(count, _tag);
        }
    }

    public void AddFailed()
    {
        Interlocked.Increment(ref _failed);
        if (PipelineTelemetry.ItemsFailed.Enabled)
        {
            PipelineTelemetry.ItemsFailed.Add(1, _tag);
        }
    }

    public void AddRetry() => Interlocked.Increment(ref _retries);

    public void AddBusy(long timestampTicks) => Interlocked.Add(ref _busyTicks, timestampTicks);

    public void WorkerStopped()
    {
        if (Interlocked.Decrement(ref _active) == 0)
        {
            Stopped?.Invoke();
        }
    }

    public StageStatistics Snapshot(TimeProvider time, TimeSpan elapsed) => new(
        Name,
        Workers,
        ActiveWorkers,
        Interlocked.Read(ref _in),
        Interlocked.Read(ref _out),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _retries),
        Input?.Queued ?? 0,
        TimeSpan.FromSeconds((double)Interlocked.Read(ref _busyTicks) / time.TimestampFrequency),
        elapsed);

    [Conditional("DEBUG")]
    public void AssertInvariants() => Debug.Assert(ActiveWorkers >= 0, "A stage never has fewer than zero workers.");
}
