using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Braid.Lab.Web;

/// <summary>The web experiment's reports: the console text, the JSON and the HTML (docs/lab.md, "The web experiment").</summary>
public static class WebReports
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Everything measured as indented JSON with camelCase names; every endpoint's full load result and pool samples included.</summary>
    /// <param name="result">The result.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(WebExperimentResult result) => JsonSerializer.Serialize(result, JsonOptions);

    /// <summary>
    /// The HTML report, self-contained (inline CSS and SVG, the lab report's style): the findings, the
    /// measurements table, the corrected latency percentiles and throughput per endpoint, each endpoint's
    /// p99 over time, and the server's pool threads and queue over time.
    /// </summary>
    /// <param name="result">The result.</param>
    /// <returns>The HTML document.</returns>
    public static string ToHtml(WebExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return WebHtmlReport.Render(result);
    }

    /// <summary>
    /// The console report: a table of the endpoints (throughput, corrected latency percentiles, the
    /// uncorrected p99, errors, the server's peak pool threads and queue), the pool over time one
    /// line per endpoint and second, and the findings.
    /// </summary>
    /// <param name="result">The result.</param>
    /// <returns>The text, lines ending in '\n'.</returns>
    public static string ToText(WebExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = result.Options;
        var text = new StringBuilder();
        Line(text, I($"braid lab: web workload, endpoints {string.Join(", ", o.Endpoints)}; each a fresh 'braid serve' process, {o.Rate:0.#} requests a second (open model), {o.Connections} connections, {o.Duration.TotalSeconds:0.#} s, {o.Work.TotalMilliseconds:0} ms of work"));
        string[] head = ["endpoint", "req/s", "ok", "failed", "dropped", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "p99 uncorr", "pool thr", "queue", "os thr"];
        var rows = result.Endpoints.Select(r =>
        {
            var l = r.Load.Latency;
            string Ms(double? v) => v is { } x ? I($"{x:0.0}") : "-";
            return new[]
            {
                r.Endpoint, I($"{r.Load.ThroughputPerSecond:0}"), I($"{r.Load.Ok}"), I($"{r.Load.Failed}"), I($"{r.Load.Dropped}"),
                Ms(l?.P50Ms), Ms(l?.P90Ms), Ms(l?.P99Ms), Ms(l?.P999Ms), Ms(l?.MaxMs), Ms(r.Load.UncorrectedLatency?.P99Ms),
                I($"{r.PeakPoolThreads}"), I($"{r.PeakQueueLength}"), r.PoolSamples.Max(s => s.ProcessThreads) is { } t ? I($"{t}") : "-",
            };
        }).ToList();
        var widths = head.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        Line(text, string.Join("  ", head.Select((h, c) => c == 0 ? h.PadRight(widths[c]) : h.PadLeft(widths[c]))));
        foreach (var row in rows)
        {
            Line(text, string.Join("  ", row.Select((v, c) => c == 0 ? v.PadRight(widths[c]) : v.PadLeft(widths[c]))));
        }

        Line(text, "latency is corrected for coordinated omission (from each request's intended start, docs/load.md); pool thr/queue: the server's thread pool at its peak, os thr: the server process's threads");
        Line(text, "the server's pool over time (the highest reading in each second: threads/queued):");
        var name = result.Endpoints.Select(r => r.Endpoint.Length).DefaultIfEmpty(0).Max();
        foreach (var r in result.Endpoints)
        {
            var seconds = r.PoolSamples.GroupBy(s => (int)s.TimeS).OrderBy(g => g.Key)
                .Select(g => I($"{g.Max(s => s.PoolThreads)}/{g.Max(s => s.QueueLength)}"));
            Line(text, $"  {r.Endpoint.PadRight(name)}  {string.Join(' ', seconds)}");
        }

        foreach (var finding in result.Findings)
        {
            Line(text, "- " + finding);
        }

        var generator = result.Endpoints.Select(r => r.Load.Generator).ToList();
        if (generator.Count > 0)
        {
            Line(text, I($"generator: {generator.Count(g => !g.IsBottleneck)} of {generator.Count} endpoints kept up (CPU at most {generator.Max(g => g.CpuUtilisation) * 100:0}%, at most {generator.Max(g => g.LateSends)} late sends); server start {result.Endpoints.Average(r => r.ServerStartMs):0} ms on average; load average {result.LoadAverage ?? "unknown"}"));
        }

        if (result.Cancelled)
        {
            Line(text, "cancelled: the figures are what was measured until then");
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
