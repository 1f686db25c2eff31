using System.Globalization;
using System.Text;
using Braid.Lab.Reports;

namespace Braid.Lab.Web;

/// <summary>
/// The web experiment's self-contained HTML report (inline CSS and SVG, the lab report's style sheet
/// and helpers): the findings, the measurements table, the corrected latency percentiles and the
/// throughput per endpoint, and over time each endpoint's p99 and the server's pool threads and queue.
/// </summary>
internal static class WebHtmlReport
{
    private const int ChartHeight = 230;
    private const int Top = 30;
    private const int Bottom = 28;
    private static readonly string[] Palette = ["#d92d20", "#2e6bd6", "#dc6803", "#079455", "#7a5af8", "#475467"];

    public static string Render(WebExperimentResult result)
    {
        var o = result.Options;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append(F($"<title>braid lab: web workload, {Plural.Count(result.Endpoints.Count, "endpoint")}</title>"));
        html.Append(HtmlReport.Style);
        html.Append(F($"<h1>braid lab &mdash; web workload, {Plural.Count(result.Endpoints.Count, "endpoint")}</h1>"));
        html.Append(F($"<div class=\"meta\">each endpoint a fresh <code>braid serve</code> process &middot; {o.Rate:0.#} requests a second (open model) &middot; {Plural.Count(o.Connections, "connection")} &middot; {o.Duration.TotalSeconds:0.#} s each &middot; {o.Work.TotalMilliseconds:0} ms of work a request"));
        html.Append(F($"<br>{Plural.Count(Environment.ProcessorCount, "processor")} &middot; load average at the end {HtmlReport.E(result.LoadAverage ?? "unknown")}"));
        if (result.Cancelled)
        {
            html.Append(" &middot; <b class=\"bad\">cancelled: partial results</b>");
        }

        html.Append("</div>\n<h2>What this run shows</h2><ul>");
        foreach (var finding in result.Findings)
        {
            html.Append("<li>").Append(HtmlReport.E(finding)).Append("</li>");
        }

        html.Append("</ul>\n<h2>Measurements</h2>");
        html.Append(Table(result));
        var colours = result.Endpoints.Select((e, i) => (e.Endpoint, Colour: ColourOf(e.Endpoint, i))).ToDictionary(p => p.Endpoint, p => p.Colour, StringComparer.Ordinal);

        html.Append("\n<h2>Latency percentiles</h2><p class=\"note\">Corrected for coordinated omission: from each request's intended start (docs/load.md). One group per endpoint: p50, p90, p99 and the maximum, on one scale.</p>");
        html.Append(Percentiles(result, colours));
        html.Append("\n<h2>Throughput</h2><p class=\"note\">Requests completed a second, against the rate offered to every endpoint (the dashed line).</p>");
        html.Append(Throughput(result, colours));
        html.Append("\n<h2>p99 latency over time</h2><p class=\"note\">Corrected p99 of the requests that ended in each slice of the run, one line per endpoint.</p>");
        html.Append(LineChart(
            "p99 latency over time",
            result.Endpoints.Select(e => new Series(e.Endpoint, colours[e.Endpoint], e.Load.Timeline.Where(p => p.Completed > 0).Select(p => (p.StartS, p.P99Ms)).ToList())).ToList(),
            "ms"));
        html.Append("\n<h2>The server's thread pool over time</h2><p class=\"note\">Read from the server's <code>/metrics</code> while the endpoint was loaded; <code>/metrics</code> is served by the same pool, so a starved pool answers late and its readings are sparse (the slowest reading is in the table).</p>");
        html.Append("<h3>Pool threads</h3>");
        html.Append(LineChart(
            "pool threads over time",
            result.Endpoints.Select(e => new Series(e.Endpoint, colours[e.Endpoint], e.PoolSamples.Select(s => (s.TimeS, (double)s.PoolThreads)).ToList())).ToList(),
            "threads"));
        html.Append("<h3>Work items queued</h3>");
        html.Append(LineChart(
            "queued work items over time",
            result.Endpoints.Select(e => new Series(e.Endpoint, colours[e.Endpoint], e.PoolSamples.Select(s => (s.TimeS, (double)s.QueueLength)).ToList())).ToList(),
            "items"));
        html.Append("\n<h2>The generator</h2><ul>");
        foreach (var e in result.Endpoints)
        {
            html.Append(F($"<li class=\"{(e.Load.Generator.IsBottleneck ? "bad" : "ok")}\"><b>{HtmlReport.E(e.Endpoint)}</b>: {HtmlReport.E(e.Load.Generator.Verdict)} Server start {e.ServerStartMs:0} ms; the server process {(e.ServerExited ? "was gone afterwards" : "outlived its endpoint")}.</li>"));
        }

        html.Append("</ul></body></html>\n");
        return html.ToString();
    }

    private static string Table(WebExperimentResult result)
    {
        var t = new StringBuilder("<table><tr><th>endpoint</th><th>req/s</th><th>ok</th><th>failed</th><th>dropped</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>p99 uncorrected</th><th>pool threads</th><th>queue</th><th>OS threads</th><th>slowest pool reading</th></tr>");
        foreach (var e in result.Endpoints)
        {
            var l = e.Load.Latency;
            var threads = e.PoolSamples.Max(s => s.ProcessThreads);
            t.Append(F($"<tr><td>{HtmlReport.E(e.Endpoint)}</td><td>{e.Load.ThroughputPerSecond:0.#}</td><td>{e.Load.Ok}</td><td class=\"{(e.Load.Failed > 0 ? "bad" : "")}\">{e.Load.Failed}</td><td class=\"{(e.Load.Dropped > 0 ? "bad" : "")}\">{e.Load.Dropped}</td>"));
            t.Append(F($"<td>{Ms(l?.P50Ms)}</td><td>{Ms(l?.P90Ms)}</td><td>{Ms(l?.P99Ms)}</td><td>{Ms(l?.P999Ms)}</td><td>{Ms(l?.MaxMs)}</td><td>{Ms(e.Load.UncorrectedLatency?.P99Ms)}</td>"));
            t.Append(F($"<td>{e.PeakPoolThreads}</td><td>{e.PeakQueueLength}</td><td>{(threads is { } n ? n.ToString(CultureInfo.InvariantCulture) : "-")}</td><td>{e.SlowestPollMs:0} ms</td></tr>"));
        }

        t.Append("</table><p class=\"note\">Pool threads, queue and OS threads: the server's highest readings. The uncorrected p99 is measured from each request's actual send; its gap to the corrected one is the time requests waited to be sent.</p>");
        return t.ToString();
    }

    // One group of four bars per endpoint (p50, p90, p99, max), every bar on the same linear scale.
    private static string Percentiles(WebExperimentResult result, Dictionary<string, string> colours)
    {
        string[] names = ["p50", "p90", "p99", "max"];
        const int bar = 14;
        const int group = (bar * 4) + 14;
        var height = Top + (group * Math.Max(1, result.Endpoints.Count)) + Bottom;
        var max = result.Endpoints.Select(e => e.Load.Latency?.MaxMs ?? 0).DefaultIfEmpty(0).Max();
        var axis = NiceMax(max);
        var svg = new StringBuilder(Open(height, "corrected latency percentiles per endpoint"));
        var y = (double)Top;
        foreach (var e in result.Endpoints)
        {
            var l = e.Load.Latency;
            double?[] values = [l?.P50Ms, l?.P90Ms, l?.P99Ms, l?.MaxMs];
            svg.Append(F($"<text x=\"{HtmlReport.LabelWidth - 8}\" y=\"{y + (bar * 2) + 4:0.##}\" font-size=\"12\" text-anchor=\"end\" fill=\"{HtmlReport.Ink}\">{HtmlReport.E(e.Endpoint)}</text>"));
            for (var i = 0; i < names.Length; i++)
            {
                var by = y + (i * bar);
                var width = values[i] is { } v ? v / axis * HtmlReport.Plot : 0;
                svg.Append(F($"<rect x=\"{HtmlReport.LabelWidth}\" y=\"{by:0.##}\" width=\"{Math.Max(width, 0.5):0.##}\" height=\"{bar - 2}\" fill=\"{colours[e.Endpoint]}\" opacity=\"{0.45 + (0.15 * i):0.##}\"/>"));
                var label = F($"{names[i]} {(values[i] is { } x ? x.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-")}");
                // After the bar, unless that would cross the right edge: then inside it, in a colour that reads on it.
                var lx = HtmlReport.LabelWidth + width + 4;
                var inside = lx + HtmlReport.TextWidth(label, 10) > HtmlReport.Width;
                var fill = inside ? HtmlReport.LabelColour([HtmlReport.Over(colours[e.Endpoint], 0.45 + (0.15 * i), "#ffffff")]) : HtmlReport.Ink;
                svg.Append(F($"<text x=\"{(inside ? HtmlReport.LabelWidth + width - 4 : lx):0.##}\" y=\"{by + bar - 4:0.##}\" font-size=\"10\" text-anchor=\"{(inside ? "end" : "start")}\" fill=\"{fill}\">{label}</text>"));
            }

            y += group;
        }

        Axis(svg, y - 10, axis, "ms");
        return svg.Append("</svg>").ToString();
    }

    private static string Throughput(WebExperimentResult result, Dictionary<string, string> colours)
    {
        const int bar = 20;
        var height = Top + ((bar + 8) * Math.Max(1, result.Endpoints.Count)) + Bottom;
        var rate = result.Options.Rate;
        var axis = NiceMax(Math.Max(rate, result.Endpoints.Select(e => e.Load.ThroughputPerSecond).DefaultIfEmpty(0).Max()) * 1.1);
        var svg = new StringBuilder(Open(height, "throughput per endpoint"));
        var y = (double)Top;
        foreach (var e in result.Endpoints)
        {
            var width = e.Load.ThroughputPerSecond / axis * HtmlReport.Plot;
            svg.Append(F($"<text x=\"{HtmlReport.LabelWidth - 8}\" y=\"{y + bar - 6:0.##}\" font-size=\"12\" text-anchor=\"end\" fill=\"{HtmlReport.Ink}\">{HtmlReport.E(e.Endpoint)}</text>"));
            svg.Append(F($"<rect x=\"{HtmlReport.LabelWidth}\" y=\"{y:0.##}\" width=\"{Math.Max(width, 0.5):0.##}\" height=\"{bar}\" fill=\"{colours[e.Endpoint]}\" opacity=\"0.8\"/>"));
            svg.Append(F($"<text x=\"{HtmlReport.LabelWidth + width + 4:0.##}\" y=\"{y + bar - 6:0.##}\" font-size=\"10\" fill=\"{HtmlReport.Ink}\">{e.Load.ThroughputPerSecond:0.#}/s ({e.Load.Ok} ok, {e.Load.Failed} failed, {e.Load.Dropped} dropped)</text>"));
            y += bar + 8;
        }

        var rx = HtmlReport.LabelWidth + (rate / axis * HtmlReport.Plot);
        svg.Append(F($"<line x1=\"{rx:0.##}\" y1=\"{Top - 6}\" x2=\"{rx:0.##}\" y2=\"{y - 4:0.##}\" stroke=\"{HtmlReport.Ink}\" stroke-dasharray=\"4 3\"/><text x=\"{rx:0.##}\" y=\"{Top - 10}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{HtmlReport.Muted}\">offered {rate:0.#}/s</text>"));
        Axis(svg, y - 4, axis, "/s");
        return svg.Append("</svg>").ToString();
    }

    // Lines over seconds since each endpoint's load started, one per series, with a legend on top.
    private static string LineChart(string label, IReadOnlyList<Series> series, string unit)
    {
        var maxX = NiceMax(series.SelectMany(s => s.Points).Select(p => p.X).DefaultIfEmpty(1).Max());
        var maxY = NiceMax(series.SelectMany(s => s.Points).Select(p => p.Y).DefaultIfEmpty(1).Max());
        var plotHeight = ChartHeight - Top - Bottom;
        var svg = new StringBuilder(Open(ChartHeight, label));
        double X(double x) => HtmlReport.LabelWidth + (x / maxX * HtmlReport.Plot);
        double Y(double y) => Top + plotHeight - (y / maxY * plotHeight);

        var step = HtmlReport.NiceStep(maxY / 4);
        for (var v = 0.0; v <= maxY + 1e-9; v += step)
        {
            svg.Append(F($"<line x1=\"{HtmlReport.LabelWidth}\" y1=\"{Y(v):0.##}\" x2=\"{HtmlReport.LabelWidth + HtmlReport.Plot}\" y2=\"{Y(v):0.##}\" stroke=\"#e3e6ee\"/><text x=\"{HtmlReport.LabelWidth - 6}\" y=\"{Y(v) + 3:0.##}\" font-size=\"10\" text-anchor=\"end\" fill=\"{HtmlReport.Muted}\">{v:0.##} {unit}</text>"));
        }

        var legendX = (double)HtmlReport.LabelWidth;
        foreach (var s in series)
        {
            svg.Append(F($"<rect x=\"{legendX:0.##}\" y=\"8\" width=\"12\" height=\"4\" fill=\"{s.Colour}\"/><text x=\"{legendX + 16:0.##}\" y=\"13\" font-size=\"11\" fill=\"{HtmlReport.Ink}\">{HtmlReport.E(s.Name)}</text>"));
            legendX += 30 + HtmlReport.TextWidth(s.Name, 11);
            if (s.Points.Count == 1)
            {
                svg.Append(F($"<circle cx=\"{X(s.Points[0].X):0.##}\" cy=\"{Y(s.Points[0].Y):0.##}\" r=\"3\" fill=\"{s.Colour}\"/>"));
            }
            else if (s.Points.Count > 1)
            {
                var points = string.Join(' ', s.Points.Select(p => F($"{X(p.X):0.##},{Y(p.Y):0.##}")));
                svg.Append(F($"<polyline points=\"{points}\" fill=\"none\" stroke=\"{s.Colour}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>"));
            }
        }

        Axis(svg, Top + plotHeight, maxX, "s");
        return svg.Append("</svg>").ToString();
    }

    private static void Axis(StringBuilder svg, double y, double max, string unit)
    {
        svg.Append(F($"<line x1=\"{HtmlReport.LabelWidth}\" y1=\"{y:0.##}\" x2=\"{HtmlReport.LabelWidth + HtmlReport.Plot}\" y2=\"{y:0.##}\" stroke=\"#8b93a5\"/>"));
        var step = HtmlReport.NiceStep(max / 8);
        for (var v = 0.0; v <= max + 1e-9; v += step)
        {
            var x = HtmlReport.LabelWidth + (v / max * HtmlReport.Plot);
            var text = F($"{v:0.##} {unit}");
            var anchor = x + (HtmlReport.TextWidth(text, 10) / 2) > HtmlReport.Width ? "end" : "middle";
            svg.Append(F($"<line x1=\"{x:0.##}\" y1=\"{y:0.##}\" x2=\"{x:0.##}\" y2=\"{y + 4:0.##}\" stroke=\"#8b93a5\"/><text x=\"{x:0.##}\" y=\"{y + 16:0.##}\" font-size=\"10\" text-anchor=\"{anchor}\" fill=\"{HtmlReport.Muted}\">{text}</text>"));
        }
    }

    private static string Open(double height, string label) =>
        F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{HtmlReport.Width}\" height=\"{height:0}\" viewBox=\"0 0 {HtmlReport.Width} {height:0}\" role=\"img\" aria-label=\"{label}\">");

    // The axis's end: a round number at least 'value' (1 when there is nothing to draw).
    private static double NiceMax(double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            return 1;
        }

        var step = HtmlReport.NiceStep(value / 4);
        return Math.Ceiling(value / step) * step;
    }

    private static string ColourOf(string endpoint, int index) => endpoint switch
    {
        "blocking" => Palette[0],
        "async" => Palette[1],
        "sync-over-async" => Palette[2],
        "cpu" => Palette[3],
        _ => Palette[(4 + index) % Palette.Length],
    };

    private static string Ms(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Series(string Name, string Colour, IReadOnlyList<(double X, double Y)> Points);
}
