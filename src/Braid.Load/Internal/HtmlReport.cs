using System.Globalization;
using System.Net;
using System.Text;

namespace Braid.Load.Internal;

/// <summary>
/// The load report: inline CSS and SVG only, so it opens offline from a file. Styled as the lab's report
/// (docs/lab.md), whose helpers live in an application assembly this one may not reference (rule 103).
/// </summary>
internal static class HtmlReport
{
    private const int Width = 1180;
    private const int Left = 70;
    private const int Plot = Width - Left - 20;
    private const string Ink = "#1d2330";
    private const string Muted = "#5b6477";
    private const string Grid = "#e3e6ee";

    private static readonly (string Name, string Colour, Func<TimelinePoint, double> Value)[] Series =
    [
        ("p50", "#2e6bd6", p => p.P50Ms),
        ("p99", "#d97706", p => p.P99Ms),
        ("max", "#d92d20", p => p.MaxMs),
    ];

    public static string Render(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append(F($"<title>braid load: {E(result.Target)}</title>"));
        html.Append("""
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1220px;padding:0 12px;color:#1d2330;background:#fff}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
            .meta{color:#5b6477;font-size:13px} table{border-collapse:collapse;font-size:12.5px}
            th,td{padding:3px 8px;border-bottom:1px solid #e3e6ee;text-align:right;white-space:nowrap} th{background:#f3f5f9}
            td:first-child,th:first-child{text-align:left} .bad{color:#b42318} .ok{color:#067647}
            ul{margin:6px 0 0 18px;padding:0} li{margin:3px 0;font-size:14px} svg{display:block;max-width:100%;height:auto}
            .note{color:#5b6477;font-size:12px}
            </style></head><body>
            """);
        html.Append(F($"<h1>braid load &mdash; {E(result.Target)}</h1>"));
        html.Append(F($"<div class=\"meta\">{E(result.StartedAt.ToString("u", CultureInfo.InvariantCulture))} &middot; {E(LoadReports.Headline(result))}"));
        if (result.Cancelled)
        {
            html.Append(" &middot; <b class=\"bad\">cancelled: partial results</b>");
        }

        html.Append("</div>\n<h2>Summary</h2><ul>");
        foreach (var line in LoadReports.Summary(result))
        {
            var bad = line == result.Generator.Verdict && result.Generator.IsBottleneck;
            html.Append(bad ? "<li class=\"bad\">" : "<li>").Append(E(line)).Append("</li>");
        }

        html.Append("</ul>\n<h2>Latency percentiles</h2>");
        html.Append(Table(result));
        var unit = result.Sse is null ? "request" : "event";
        var what = result.Sse is not null ? "event lag" : result.UncorrectedLatency is not null ? "latency from each request's intended start (corrected)" : "latency";
        html.Append(F($"\n<h2>Latency over time</h2><p class=\"note\">{E(what)}, per slice of the measured run, by completion time; logarithmic scale.</p>"));
        html.Append(LatencyChart(result.Timeline));
        html.Append(F($"\n<h2>Throughput over time</h2><p class=\"note\">{unit}s completed per second in each slice; red: failed.</p>"));
        html.Append(ThroughputChart(result.Timeline));
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static string Table(LoadResult result)
    {
        var rows = new List<(string, LatencyPercentiles?)>();
        if (result.Sse is { } sse)
        {
            rows.Add(("event lag", sse.Lag));
            rows.Add(("fan-out spread", sse.Spread));
        }
        else
        {
            rows.Add((result.UncorrectedLatency is null ? "latency" : "corrected (from intended start)", result.Latency));
            if (result.UncorrectedLatency is not null)
            {
                rows.Add(("uncorrected (from actual send)", result.UncorrectedLatency));
                rows.Add(("scheduler start lag", result.Generator.StartLag));
            }
        }

        var t = new StringBuilder("<table><tr><th></th><th>count</th><th>mean ms</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>");
        foreach (var (name, p) in rows)
        {
            t.Append(p is null
                ? F($"<tr><td>{E(name)}</td><td colspan=\"7\">none</td></tr>")
                : F($"<tr><td>{E(name)}</td><td>{p.Count}</td><td>{p.MeanMs:0.###}</td><td>{p.P50Ms:0.###}</td><td>{p.P90Ms:0.###}</td><td>{p.P99Ms:0.###}</td><td>{p.P999Ms:0.###}</td><td>{p.MaxMs:0.###}</td></tr>"));
        }

        return t.Append("</table>").ToString();
    }

    private static string LatencyChart(IReadOnlyList<TimelinePoint> points)
    {
        const int height = 260;
        const int top = 20;
        const int plotHeight = height - top - 40;
        if (points.Count == 0)
        {
            return Empty();
        }

        var values = points.SelectMany(p => Series.Select(s => s.Value(p))).Where(v => v > 0).ToList();
        var low = values.Count == 0 ? 0.01 : Math.Pow(10, Math.Floor(Math.Log10(values.Min())));
        var high = values.Count == 0 ? 1 : Math.Pow(10, Math.Ceiling(Math.Log10(values.Max())));
        high = Math.Max(high, low * 10);
        double Y(double ms) => top + plotHeight - ((Math.Log10(Math.Max(ms, low)) - Math.Log10(low)) / (Math.Log10(high) - Math.Log10(low)) * plotHeight);
        var slice = points.Count > 1 ? points[1].StartS - points[0].StartS : 1;
        var span = Math.Max(slice, points[^1].StartS + slice);
        double X(double s) => Left + (s / span * Plot);
        var svg = new StringBuilder(Open(height, "latency over time"));
        for (var decade = low; decade <= high * 1.0001; decade *= 10)
        {
            svg.Append(F($"<line x1=\"{Left}\" x2=\"{Left + Plot}\" y1=\"{Y(decade):0.#}\" y2=\"{Y(decade):0.#}\" stroke=\"{Grid}\"/><text x=\"{Left - 6}\" y=\"{Y(decade) + 4:0.#}\" font-size=\"11\" text-anchor=\"end\" fill=\"{Muted}\">{Ms(decade)}</text>"));
        }

        foreach (var (name, colour, value) in Series)
        {
            var line = string.Join(' ', points.Where(p => p.Completed > 0).Select(p => F($"{X(p.StartS + (slice / 2)):0.#},{Y(value(p)):0.#}")));
            svg.Append(F($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\" points=\"{line}\"/>"));
        }

        var legend = Left + 10;
        foreach (var (name, colour, _) in Series)
        {
            svg.Append(F($"<rect x=\"{legend}\" y=\"4\" width=\"12\" height=\"3\" fill=\"{colour}\"/><text x=\"{legend + 16}\" y=\"10\" font-size=\"11\" fill=\"{Ink}\">{name}</text>"));
            legend += 60;
        }

        TimeAxis(svg, top + plotHeight, span);
        return svg.Append("</svg>").ToString();
    }

    private static string ThroughputChart(IReadOnlyList<TimelinePoint> points)
    {
        const int height = 180;
        const int top = 10;
        const int plotHeight = height - top - 40;
        if (points.Count == 0)
        {
            return Empty();
        }

        var slice = points.Count > 1 ? points[1].StartS - points[0].StartS : 1;
        var span = Math.Max(slice, points[^1].StartS + slice);
        var peak = Math.Max(1, points.Max(p => p.Completed / slice));
        var svg = new StringBuilder(Open(height, "throughput over time"));
        svg.Append(F($"<text x=\"{Left - 6}\" y=\"{top + 8}\" font-size=\"11\" text-anchor=\"end\" fill=\"{Muted}\">{peak:0.#}/s</text><line x1=\"{Left}\" x2=\"{Left + Plot}\" y1=\"{top}\" y2=\"{top}\" stroke=\"{Grid}\"/>"));
        var barWidth = Math.Max(1, (slice / span * Plot) - 1);
        foreach (var p in points)
        {
            var x = Left + (p.StartS / span * Plot);
            var all = p.Completed / slice / peak * plotHeight;
            var failed = p.Errors / slice / peak * plotHeight;
            svg.Append(F($"<rect x=\"{x:0.##}\" y=\"{top + plotHeight - all:0.##}\" width=\"{barWidth:0.##}\" height=\"{all - failed:0.##}\" fill=\"#2e6bd6\"/>"));
            if (failed > 0)
            {
                svg.Append(F($"<rect x=\"{x:0.##}\" y=\"{top + plotHeight - failed:0.##}\" width=\"{barWidth:0.##}\" height=\"{failed:0.##}\" fill=\"#d92d20\"/>"));
            }
        }

        TimeAxis(svg, top + plotHeight, span);
        return svg.Append("</svg>").ToString();
    }

    private static void TimeAxis(StringBuilder svg, int y, double span)
    {
        svg.Append(F($"<line x1=\"{Left}\" x2=\"{Left + Plot}\" y1=\"{y}\" y2=\"{y}\" stroke=\"{Muted}\"/>"));
        for (var i = 0; i <= 10; i++)
        {
            var x = Left + (i / 10.0 * Plot);
            var anchor = i == 0 ? "start" : i == 10 ? "end" : "middle";
            svg.Append(F($"<line x1=\"{x:0.#}\" x2=\"{x:0.#}\" y1=\"{y}\" y2=\"{y + 4}\" stroke=\"{Muted}\"/><text x=\"{x:0.#}\" y=\"{y + 16}\" font-size=\"11\" text-anchor=\"{anchor}\" fill=\"{Muted}\">{span * i / 10:0.##} s</text>"));
        }
    }

    private static string Open(int height, string label) =>
        F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"{label}\">");

    private static string Empty() =>
        F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"24\" viewBox=\"0 0 {Width} 24\" role=\"img\" aria-label=\"empty\"><text x=\"0\" y=\"16\" font-size=\"12\" fill=\"{Muted}\">nothing completed</text></svg>");

    private static string Ms(double ms) => ms >= 1000 ? F($"{ms / 1000:0.##} s") : F($"{ms:0.###} ms");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
