namespace Braid.Lab;

/// <summary>What the harness itself costs, measured on this run, so that its numbers can be judged.</summary>
public sealed record LabOverhead
{
    /// <summary>Recording one task (two timestamps, a thread id, a slot), in nanoseconds, measured by a calibration loop.</summary>
    public double RecordingNsPerTask { get; init; }

    /// <summary>The sampler's period, in milliseconds (it reads /proc/self/status for RSS and threads).</summary>
    public double SamplerPeriodMs { get; init; }

    /// <summary>Samples taken over the whole run.</summary>
    public long SamplerSamples { get; init; }

    /// <summary>Wall time spent taking samples, in milliseconds (it runs on its own thread, beside the models).</summary>
    public double SamplerMs { get; init; }

    /// <summary>Starting the fixtures (server, datasets, databases) before the first model, in milliseconds; not part of any model.</summary>
    public double SetupMs { get; init; }

    /// <summary>How peak memory is measured on this machine.</summary>
    public string RssMethod { get; init; } = "";

    /// <summary>How the models' CPU time is measured, and what is left out of it.</summary>
    public string CpuMethod { get; init; } = "";
}
