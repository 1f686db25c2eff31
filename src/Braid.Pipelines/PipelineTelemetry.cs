using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Braid.Pipelines;

/// <summary>
/// The names under which pipelines report to OpenTelemetry (or any <see cref="ActivityListener"/> /
/// <see cref="MeterListener"/>). With no listener, reporting costs one flag check per transferred batch.
/// </summary>
/// <remarks>
/// The <see cref="ActivitySource"/> named <see cref="Name"/> starts one activity per run,
/// <c>braid.pipeline.run</c>, with an event per failure. The <see cref="Meter"/> of the same name
/// has three counters, tagged <c>braid.pipeline.stage</c> (<c>pipeline/stage</c>):
/// <c>braid.pipeline.items.in</c>, <c>braid.pipeline.items.out</c> and <c>braid.pipeline.items.failed</c>.
/// </remarks>
public static class PipelineTelemetry
{
    /// <summary>The name of the activity source and of the meter: <c>Braid.Pipelines</c>.</summary>
    public const string Name = "Braid.Pipelines";

    internal static readonly ActivitySource Source = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> ItemsIn = Meter.CreateCounter<long>("braid.pipeline.items.in", "{item}", "Items taken by a stage from its input.");

    internal static readonly Counter<long> ItemsOut = Meter.CreateCounter<long>("braid.pipeline.items.out", "{item}", "Items written by a stage to its output.");

    internal static readonly Counter<long> ItemsFailed = Meter.CreateCounter<long>("braid.pipeline.items.failed", "{item}", "Items a stage failed on after every retry.");
}
