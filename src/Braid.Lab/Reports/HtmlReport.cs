using System.Globalization;
using System.Net;
using System.Text;

namespace Braid.Lab.Reports;

/// <summary>The self-contained HTML report: inline CSS and SVG only, so it opens offline from a file.</summary>
internal static class HtmlReport
{
    private const int Width = 1180;
    private const int LabelWidth = 110;

    public static string Render(LabResults results)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append(F($"<title>braid lab: {results.Workload}, {results.Tasks} tasks</title>"));
        html.Append("""
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1220px;padding:0 12px;color:#1d2330;background:#fff}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:14px;margin:18px 0 4px}
            .meta{color:#5b6477;font-size:13px} table{border-collapse:collapse;font-size:11.5px;width:100%}
            th,td{padding:3px 5px;border-bottom:1px solid #e3e6ee;text-align:right;white-space:nowrap} th{background:#f3f5f9}
            td:first-child,th:first-child{text-align:left} .bad{color:#b42318} .ok{color:#067647}
            ul{margin:6px 0 0 18px;padding:0} li{margin:3px 0;font-size:14px} svg{display:block}
            .desc{color:#5b6477;font-size:12.5px;margin:0 0 4px} .note{color:#5b6477;font-size:12px}
            </style></head><body>
            """);
        html.Append(F($"<h1>braid lab &mdash; {results.Workload} workload, {results.Tasks} tasks</h1>"));
        html.Append(F($"<div class=\"meta\">{E(results.StartedAt.ToString("u", CultureInfo.InvariantCulture))} &middot; {results.ProcessorCount} processors &middot; {E(results.Runtime)} &middot; {E(results.OperatingSystem)}<br>"));
        html.Append(F($"latency {results.LatencyMs} ms, jitter {results.JitterMs} ms, failure rate {results.FailureRate}, cpu size {results.CpuSize:N0}, bounded limit {results.Concurrency}, {results.Workers} workers, {results.Repeats} repeat(s), seed {results.Seed}"));
        if (results.Cancelled)
        {
            html.Append(" &middot; <b class=\"bad\">cancelled: partial results</b>");
        }

        html.Append("</div>\n<h2>What this run shows</h2><ul>");
        foreach (var line in results.Findings)
        {
            html.Append("<li>").Append(E(line)).Append("</li>");
        }

        html.Append("</ul>\n<h2>Measurements</h2>");
        html.Append(Table(results));
        html.Append("\n<h2>All models on one time axis</h2>");
        html.Append(Overview(results));
        html.Append("\n<h2>Timelines</h2><p class=\"note\">One lane per thread (t<i>id</i>) or worker process (w<i>n</i>); one bar per task, from its start to its end. Tasks that overlap on one thread (async) are stacked in the thread's lane. Each model has its own time scale.</p>");
        foreach (var model in results.Models)
        {
            html.Append(F($"<h3 id=\"model-{E(model.Model)}\">{E(model.Model)} &mdash; {Narrative.Ms(model.WallMs)}</h3>"));
            html.Append("<p class=\"desc\">").Append(E(model.Description));
            if (model.Error is not null)
            {
                html.Append(" &middot; <span class=\"bad\">").Append(E(model.Error)).Append("</span>");
            }

            html.Append("</p>");
            html.Append(Timeline(model));
        }

        html.Append("\n<h2>Checks and overhead</h2><ul>");
        foreach (var check in results.Checks)
        {
            html.Append(F($"<li class=\"{(check.StartsWith("ok", StringComparison.Ordinal) ? "ok" : "bad")}\">{E(check)}</li>"));
        }

        var completed = results.Models.Count(m => m.Status == "completed");
        var agreement = !results.ResultsAgree ? "Results differ: " + E(string.Join("; ", results.Disagreements))
            : completed >= 2 ? F($"All {completed} completed models produced the same results.")
            : completed == 1 ? "Only one model completed: there was no other to compare its results with."
            : "No model completed: nothing was compared.";
        html.Append(F($"<li>{agreement}</li>"));
        var o = results.Overhead;
        html.Append(F($"<li>Harness: recording a task costs {o.RecordingNsPerTask:0} ns; the sampler took {o.SamplerSamples} samples every {o.SamplerPeriodMs} ms ({o.SamplerMs:0.0} ms in all, on its own thread); setup took {Narrative.Ms(o.SetupMs)}, outside every model.</li>"));
        html.Append(F($"<li>Peak memory: {E(o.RssMethod)}.</li>"));
        if (o.CpuMethod.Length > 0)
        {
            html.Append(F($"<li>CPU time: {E(o.CpuMethod)}.</li>"));
        }

        html.Append("</ul></body></html>\n");
        return html.ToString();
    }

    private static string Table(LabResults results)
    {
        var t = new StringBuilder("<table><tr><th>model</th><th>status</th><th>wall</th><th>speedup</th><th>tasks/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>user cpu ms</th><th>sys cpu ms</th><th>peak RSS</th><th>threads</th><th>ctx sw (vol/invol)</th><th>allocated</th><th>ok/failed</th></tr>");
        foreach (var m in results.Models)
        {
            var rss = Narrative.Mb(m.PeakRssBytes) + (m.WorkersPeakRssBytes > 0 ? " + " + Narrative.Mb(m.WorkersPeakRssBytes) : "");
            t.Append(F($"<tr><td><a href=\"#model-{E(m.Model)}\">{E(m.Model)}</a></td><td class=\"{(m.Status == "completed" ? "ok" : "bad")}\">{E(m.Status)}</td><td>{Narrative.Ms(m.WallMs)}</td><td>{(m.SpeedupOverSequential is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) + "x" : "")}</td>"));
            t.Append(F($"<td>{m.ThroughputPerSecond:0.#}</td><td>{m.LatencyP50Ms:0.0}</td><td>{m.LatencyP95Ms:0.0}</td><td>{m.LatencyP99Ms:0.0}</td><td>{m.LatencyMaxMs:0.0}</td><td>{m.UserCpuMs:0}</td><td>{m.SystemCpuMs:0}</td><td>{rss}</td><td>{m.PeakThreads}</td><td>{m.VoluntaryContextSwitches}/{m.InvoluntaryContextSwitches}</td><td>{Narrative.Mb(m.AllocatedBytes)}</td>"));
            t.Append(F($"<td class=\"{(m.TasksFailed > 0 ? "bad" : "")}\">{m.TasksOk}/{m.TasksFailed}</td></tr>"));
        }

        t.Append("</table><p class=\"note\">CPU time, context switches (getrusage, all threads) and allocations are this process's deltas over the model; the processes model adds its workers' own figures, and its RSS column shows this process + the workers' peaks added up.</p>");
        return t.ToString();
    }

    private static string Overview(LabResults results)
    {
        var models = results.Models.Where(m => m.Tasks.Count > 0).ToList();
        var axis = models.Count == 0 ? 1 : Math.Max(1, models.Max(m => m.WallMs));
        const int rowHeight = 22;
        var height = (models.Count * rowHeight) + 26;
        var svg = new StringBuilder(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" role=\"img\" aria-label=\"all models on one time axis\">"));
        var plot = Width - LabelWidth - 10;
        for (var i = 0; i < models.Count; i++)
        {
            var m = models[i];
            var y = i * rowHeight;
            svg.Append(F($"<text x=\"0\" y=\"{y + 15}\" font-size=\"12\">{E(m.Model)}</text>"));
            svg.Append(F($"<rect x=\"{LabelWidth}\" y=\"{y + 3}\" width=\"{plot}\" height=\"{rowHeight - 6}\" fill=\"#f3f5f9\"/>"));
            var concurrency = TimelineLayout.Buckets(m, axis, plot);
            var max = Math.Max(1, concurrency.Max());
            for (var x = 0; x < plot; x++)
            {
                if (concurrency[x] > 0)
                {
                    var opacity = 0.35 + (0.65 * Math.Min(1, concurrency[x] / max));
                    svg.Append(F($"<rect x=\"{LabelWidth + x}\" y=\"{y + 3}\" width=\"1\" height=\"{rowHeight - 6}\" fill=\"#2e6bd6\" fill-opacity=\"{opacity:0.00}\"/>"));
                }
            }

            svg.Append(F($"<text x=\"{Math.Min(Width - 60, LabelWidth + (m.WallMs / axis * plot) + 4)}\" y=\"{y + 15}\" font-size=\"11\" fill=\"#5b6477\">{Narrative.Ms(m.WallMs)}</text>"));
        }

        Axis(svg, models.Count * rowHeight, axis, plot);
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Timeline(ModelResult model)
    {
        if (model.Tasks.Count == 0)
        {
            return F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"24\" role=\"img\" aria-label=\"{E(model.Model)} timeline\"><text x=\"0\" y=\"16\" font-size=\"12\" fill=\"#5b6477\">no task ran</text></svg>");
        }

        var lanes = TimelineLayout.Build(model);
        var rows = lanes.Sum(l => l.Rows.Count);
        var rowHeight = Math.Clamp(320.0 / rows, 1.2, 12);
        var axis = Math.Max(1, Math.Max(model.WallMs, model.Tasks.Max(t => t.EndMs)));
        var plot = Width - LabelWidth - 10;
        var height = (rows * rowHeight) + 28;
        var svg = new StringBuilder(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height:0}\" role=\"img\" aria-label=\"{E(model.Model)} timeline\">"));
        var y = 0.0;
        var shade = false;
        foreach (var lane in lanes)
        {
            var laneHeight = lane.Rows.Count * rowHeight;
            if (shade)
            {
                svg.Append(F($"<rect x=\"{LabelWidth}\" y=\"{y:0.##}\" width=\"{plot}\" height=\"{laneHeight:0.##}\" fill=\"#f6f7fa\"/>"));
            }

            shade = !shade;
            if (laneHeight >= 9)
            {
                svg.Append(F($"<text x=\"0\" y=\"{y + Math.Min(laneHeight, 12) - 2:0.##}\" font-size=\"10\" fill=\"#5b6477\">{E(lane.Name)}</text>"));
            }

            foreach (var row in lane.Rows)
            {
                foreach (var task in row)
                {
                    var x = LabelWidth + (task.StartMs / axis * plot);
                    var w = Math.Max(0.8, (task.EndMs - task.StartMs) / axis * plot);
                    svg.Append(F($"<rect x=\"{x:0.##}\" y=\"{y + 0.1:0.##}\" width=\"{w:0.##}\" height=\"{Math.Max(0.8, rowHeight - 0.4):0.##}\" fill=\"{(task.Ok ? "#2e6bd6" : "#d92d20")}\"><title>task {task.Index} on {E(task.Lane)}: {task.StartMs:0.0}-{task.EndMs:0.0} ms{(task.Error is null ? "" : " " + E(task.Error))}</title></rect>"));
                }

                y += rowHeight;
            }
        }

        svg.Append(F($"<text x=\"0\" y=\"{y + 22:0}\" font-size=\"10\" fill=\"#5b6477\">{lanes.Count} lanes</text>"));
        Axis(svg, y, axis, plot);
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Axis(StringBuilder svg, double y, double axisMs, int plot)
    {
        svg.Append(F($"<line x1=\"{LabelWidth}\" y1=\"{y + 2:0.##}\" x2=\"{LabelWidth + plot}\" y2=\"{y + 2:0.##}\" stroke=\"#8b93a5\"/>"));
        var step = NiceStep(axisMs / 8);
        for (var t = 0.0; t <= axisMs + 1e-9; t += step)
        {
            var x = LabelWidth + (t / axisMs * plot);
            svg.Append(F($"<line x1=\"{x:0.##}\" y1=\"{y + 2:0.##}\" x2=\"{x:0.##}\" y2=\"{y + 6:0.##}\" stroke=\"#8b93a5\"/><text x=\"{x:0.##}\" y=\"{y + 18:0.##}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5b6477\">{Narrative.Ms(t)}</text>"));
        }
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        return magnitude * (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10);
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
