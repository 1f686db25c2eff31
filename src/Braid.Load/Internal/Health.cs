using System.Globalization;

namespace Braid.Load.Internal;

/// <summary>Decides whether the generator was the bottleneck (docs/design.md rule 142) and says so in one sentence.</summary>
internal static class Health
{
    /// <summary>A send handed over later than this after its intended time is late.</summary>
    public static readonly TimeSpan LateTolerance = TimeSpan.FromMilliseconds(10);

    /// <summary>This share of the machine's processor time (all the processors the process may use) or more is saturated.</summary>
    public const double SaturatedCpu = 0.9;

    /// <summary>More than this share of late sends means the scheduler did not keep up.</summary>
    public const double LateShare = 0.01;

    public static GeneratorHealth Judge(double cpuMs, double wallS, long work, string unit, long late, long scheduled, LatencyPercentiles? startLag)
    {
        var processors = Environment.ProcessorCount;
        var utilisation = wallS > 0 ? cpuMs / 1000.0 / (wallS * processors) : 0;
        var perRequest = work > 0 ? cpuMs * 1000.0 / work : 0;
        var cpu = F($"this process used {utilisation * 100:0}% of {processors} processor{(processors == 1 ? "" : "s")} ({perRequest:0.#} µs of CPU per {unit})");
        var lateShare = scheduled > 0 ? (double)late / scheduled : 0;
        var lateText = startLag is null ? "" : F($"; {lateShare * 100:0.0}% of sends started more than {LateTolerance.TotalMilliseconds:0} ms late (p99 start lag {startLag.P99Ms:0.###} ms)");
        string verdict;
        var bottleneck = false;
        if (utilisation >= SaturatedCpu)
        {
            bottleneck = true;
            verdict = F($"The generator was the bottleneck, not necessarily the server: {cpu}{lateText}. Give it more cores, or fewer connections or a lower rate.");
        }
        else if (startLag is not null && lateShare > LateShare)
        {
            bottleneck = true;
            verdict = F($"The generator was the bottleneck, not necessarily the server: {lateShare * 100:0.0}% of sends started more than {LateTolerance.TotalMilliseconds:0} ms late (p99 start lag {startLag.P99Ms:0.###} ms) while {cpu}{Busy(processors)}.");
        }
        else
        {
            verdict = F($"The generator kept up: {cpu}{lateText}.");
        }

        return new GeneratorHealth(Math.Round(cpuMs, 1), Math.Round(utilisation, 3), processors, Math.Round(perRequest, 2), late, startLag, bottleneck, verdict);
    }

    // Late sends without a saturated process: other processes had the processors. Linux says how busy the machine was.
    private static string Busy(int processors)
    {
        try
        {
            var text = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) && load > processors
                ? F($"; the machine was busy (load average {load:0.#} on {processors} processor{(processors == 1 ? "" : "s")})")
                : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
