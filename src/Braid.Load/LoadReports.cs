using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Braid.Load.Internal;

namespace Braid.Load;

/// <summary>Turns a <see cref="LoadResult"/> into text: the summary lines, JSON, and the self-contained HTML report.</summary>
public static class LoadReports
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The results as indented JSON with camelCase names (docs/load.md shows one).</summary>
    /// <param name="result">A run's result.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(LoadResult result) => JsonSerializer.Serialize(result, JsonOptions);

    /// <summary>Reads JSON written by <see cref="ToJson"/> back.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The result.</returns>
    /// <exception cref="JsonException">The text is not a load result.</exception>
    public static LoadResult FromJson(string json) => JsonSerializer.Deserialize<LoadResult>(json, JsonOptions) ?? throw new JsonException("empty result");

    /// <summary>The self-contained HTML report: figures, the generator's verdict, and latency and throughput over time as inline SVG.</summary>
    /// <param name="result">A run's result.</param>
    /// <returns>One HTML document with no external resources.</returns>
    public static string ToHtml(LoadResult result) => HtmlReport.Render(result);

    /// <summary>The human summary, one line each: what ran, throughput and counts, latency percentiles, errors, and the generator's verdict.</summary>
    /// <param name="result">A run's result.</param>
    /// <returns>Lines without newlines.</returns>
    public static IReadOnlyList<string> Summary(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var lines = new List<string> { Headline(result) };
        if (result.Sse is { } sse)
        {
            lines.Add(F($"clients: {sse.Connected}/{sse.Clients} connected (peak {sse.PeakConnected}), {sse.Disconnects} disconnected early"));
            lines.Add(F($"events: {sse.Events} received, {sse.EventsPerSecond:0.#}/s over all clients, {sse.TimestampedEvents} carried a send time"));
            lines.Add(sse.Lag is { } lag ? "event lag (send time to receipt): " + Percentiles(lag) : "event lag: no event carried a send time");
            lines.Add(sse.Spread is { } spread ? "fan-out spread (first client to each client): " + Percentiles(spread) : "fan-out spread: no event had an id");
        }
        else
        {
            lines.Add(F($"requests: {result.Completed} completed ({result.Ok} ok, {result.Failed} failed), {result.ThroughputPerSecond:0.#}/s; {result.Sent} sent, {result.Dropped} dropped, {result.Abandoned} abandoned; {result.WarmupRequests} in warm-up (not counted)"));
            if (result.Latency is { } latency)
            {
                lines.Add((result.UncorrectedLatency is null ? "latency: " : "latency (from intended start, corrected): ") + Percentiles(latency));
            }

            if (result.UncorrectedLatency is { } naive)
            {
                lines.Add("latency (from actual send, uncorrected): " + Percentiles(naive));
            }
        }

        if (result.Errors.Count > 0)
        {
            lines.Add("errors: " + string.Join(", ", result.Errors.OrderByDescending(e => e.Value).Select(e => F($"{e.Key} {e.Value}"))));
        }

        lines.Add(result.Generator.Verdict);
        if (result.Cancelled)
        {
            lines.Add("cancelled: these figures cover the run until it was stopped");
        }

        return lines;
    }

    internal static string Headline(LoadResult result)
    {
        var model = result.Model switch
        {
            "open" => F($"open model, {result.Rate:0.###} requests/s, up to {result.Connections} connection{(result.Connections == 1 ? "" : "s")}"),
            "closed" => F($"closed model, {result.Connections} connection{(result.Connections == 1 ? "" : "s")}"),
            _ => F($"SSE, {result.Connections} client{(result.Connections == 1 ? "" : "s")}"),
        };
        return F($"{result.Target}: {model}, {result.DurationS:0.###} s measured after {result.WarmupS:0.###} s warm-up");
    }

    internal static string Percentiles(LatencyPercentiles p) =>
        F($"p50 {p.P50Ms:0.###} ms, p90 {p.P90Ms:0.###} ms, p99 {p.P99Ms:0.###} ms, p99.9 {p.P999Ms:0.###} ms, max {p.MaxMs:0.###} ms (mean {p.MeanMs:0.###} ms, n={p.Count})");

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
