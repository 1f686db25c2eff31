using System.Globalization;

namespace Braid.Lab.Web;

/// <summary>The web experiment's findings, written from the measured numbers: no order of the endpoints is assumed.</summary>
internal static class WebFindings
{
    public static IReadOnlyList<string> Write(WebExperimentOptions options, IReadOnlyList<WebEndpointResult> results)
    {
        var findings = new List<string>();
        var measured = results.Where(r => r.Load.Latency is not null).ToList();
        if (measured.Count == 0)
        {
            findings.Add("No endpoint completed a request: there is nothing to compare.");
            return findings;
        }

        var ranked = measured.OrderBy(P99).ToList();
        findings.Add(I($"Lowest corrected p99 first, under the same load ({options.Rate:0.#} requests a second, {options.Connections} connections, {options.Work.TotalMilliseconds:0} ms of work each): ")
            + string.Join(", ", ranked.Select(r => I($"{r.Endpoint} {P99(r):0.0} ms ({r.Load.ThroughputPerSecond:0} requests/s, pool up to {r.PeakPoolThreads} threads, queue up to {r.PeakQueueLength})"))) + ".");

        var fast = Find(measured, "async");
        foreach (var blocked in new[] { "blocking", "sync-over-async" })
        {
            if (Find(measured, blocked) is { } b && fast is not null)
            {
                findings.Add(I($"{b.Endpoint} against async: corrected p99 {P99(b):0.0} against {P99(fast):0.0} ms ({Ratio(P99(b), P99(fast))}), median {b.Load.Latency!.P50Ms:0.0} against {fast.Load.Latency!.P50Ms:0.0} ms; the pool reached {b.PeakPoolThreads} against {fast.PeakPoolThreads} threads and its queue {b.PeakQueueLength} against {fast.PeakQueueLength} work items."));
            }
        }

        if (Find(measured, "blocking") is { } sleep && Find(measured, "sync-over-async") is { } wait)
        {
            var better = P99(sleep) <= P99(wait) ? sleep : wait;
            var worse = better == sleep ? wait : sleep;
            findings.Add(I($"Of the two ways of blocking a pool thread, {better.Endpoint} did better here: corrected p99 {P99(better):0.0} against {P99(worse):0.0} ms. ")
                + I($"The pool grew to {sleep.PeakPoolThreads} threads under blocking ({FirstPeak(sleep)}) and to {wait.PeakPoolThreads} under sync-over-async ({FirstPeak(wait)}). ")
                + (better == wait
                    ? "Blocking on a task hurt less than sleeping, as the pool's injection since .NET 6 (threads sooner for a thread blocked on a task) would have it."
                    : "Sleeping hurt less than blocking on a task here, although since .NET 6 the pool injects threads sooner for a thread blocked on a task."));
        }

        if (Find(measured, "cpu") is { } cpu && options.Work > TimeSpan.Zero)
        {
            var ceiling = Environment.ProcessorCount * 1000 / options.Work.TotalMilliseconds;
            findings.Add(I($"cpu computes for the whole {options.Work.TotalMilliseconds:0} ms: {Environment.ProcessorCount} cores can serve at most about {ceiling:0} such requests a second, and it served {cpu.Load.ThroughputPerSecond:0} of {options.Rate:0.#} offered (corrected p99 {P99(cpu):0.0} ms). More threads do not help it; more cores would."));
        }

        var behind = measured.Where(r => r.Load.ThroughputPerSecond < options.Rate * 0.95 || r.Load.Dropped > 0 || r.Load.Failed > 0).ToList();
        foreach (var r in behind)
        {
            findings.Add(I($"{r.Endpoint} did not keep up with the offered load: {r.Load.ThroughputPerSecond:0} of {options.Rate:0.#} requests a second, {r.Load.Failed} failed, {r.Load.Dropped} not sent (every connection busy)."));
        }

        foreach (var r in measured.Where(r => r.Load.Generator.IsBottleneck))
        {
            findings.Add($"For {r.Endpoint}: {r.Load.Generator.Verdict}");
        }

        var slowPolls = measured.Where(r => r.SlowestPollMs > 1000).ToList();
        if (slowPolls.Count > 0)
        {
            findings.Add("Reading the pool took over a second under " + string.Join(", ", slowPolls.Select(r => I($"{r.Endpoint} ({r.SlowestPollMs:0} ms)"))) + ": /metrics is served by the same starved pool, so its samples come late and sparse there.");
        }

        return findings;
    }

    private static double P99(WebEndpointResult r) => r.Load.Latency!.P99Ms;

    private static WebEndpointResult? Find(List<WebEndpointResult> results, string endpoint) => results.FirstOrDefault(r => r.Endpoint == endpoint);

    private static string Ratio(double a, double b) => b <= 0 ? "async's was 0" : a >= b ? I($"{a / b:0.0}x async's") : I($"{b / a:0.0}x lower than async's");

    private static string FirstPeak(WebEndpointResult r)
    {
        var peak = r.PoolSamples.FirstOrDefault(s => s.PoolThreads == r.PeakPoolThreads);
        return peak is null ? "no reading" : I($"first read at {peak.TimeS:0.0} s");
    }

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
