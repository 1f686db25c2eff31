using System.Globalization;
using System.Net;
using System.Text;

namespace Braid.Lab.Reports;

/// <summary>The self-contained HTML report: inline CSS and SVG only, so it opens offline from a file.</summary>
/// <remarks>
/// Every SVG has a <c>viewBox</c> that holds all of its text (tick labels near an edge are anchored
/// inward), a label drawn over a bar takes the colour that contrasts most with the bar under it
/// (WCAG relative luminance), each timeline has a legend for ok and failed tasks, and every count is
/// written through <see cref="Plural"/>.
/// </remarks>
internal static class HtmlReport
{
    /// <summary>The width of every SVG, in user units.</summary>
    internal const int Width = 1180;

    /// <summary>Where the plot starts: the model or lane names are left of it.</summary>
    internal const int LabelWidth = 110;

    /// <summary>The plot's width; 10 units stay free at the right.</summary>
    internal const int Plot = Width - LabelWidth - 10;

    /// <summary>A bar of ok tasks (and of running tasks in the overview).</summary>
    internal const string OkColour = "#2e6bd6";

    /// <summary>A bar of a failed task.</summary>
    internal const string FailedColour = "#d92d20";

    /// <summary>The overview's track behind its bars.</summary>
    internal const string TrackColour = "#f3f5f9";

    /// <summary>Text on a light background.</summary>
    internal const string Ink = "#1d2330";

    /// <summary>Text on a dark background.</summary>
    internal const string Light = "#ffffff";

    /// <summary>Text that explains (notes, axis labels).</summary>
    internal const string Muted = "#5b6477";

    /// <summary>The reports' shared style sheet, ending the document's head and opening its body.</summary>
    internal const string Style = """
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1220px;padding:0 12px;color:#1d2330;background:#fff}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:14px;margin:18px 0 4px}
            .meta{color:#5b6477;font-size:13px} table{border-collapse:collapse;font-size:11.5px;width:100%}
            th,td{padding:3px 5px;border-bottom:1px solid #e3e6ee;text-align:right;white-space:nowrap} th{background:#f3f5f9}
            td:first-child,th:first-child{text-align:left} .bad{color:#b42318} .ok{color:#067647}
            ul{margin:6px 0 0 18px;padding:0} li{margin:3px 0;font-size:14px} svg{display:block;max-width:100%;height:auto}
            .desc{color:#5b6477;font-size:12.5px;margin:0 0 4px} .note{color:#5b6477;font-size:12px}
            </style></head><body>
            """;

    // An average advance of 0.6 em: generous for digits and lower case in the system sans-serif fonts,
    // so a label measured with it fits where it is put.
    private const double EmPerChar = 0.6;

    public static string Render(LabResults results)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append(F($"<title>braid lab: {results.Workload}, {Plural.Count(results.Tasks, "task")}</title>"));
        html.Append(Style);
        html.Append(F($"<h1>braid lab &mdash; {results.Workload} workload, {Plural.Count(results.Tasks, "task")}</h1>"));
        html.Append(F($"<div class=\"meta\">{E(results.StartedAt.ToString("u", CultureInfo.InvariantCulture))} &middot; {Plural.Count(results.ProcessorCount, "processor")} &middot; {E(results.Runtime)} &middot; {E(results.OperatingSystem)}<br>"));
        html.Append(F($"latency {results.LatencyMs} ms, jitter {results.JitterMs} ms, failure rate {results.FailureRate}, cpu size {results.CpuSize:N0}, bounded limit {results.Concurrency}, {Plural.Count(results.Workers, "worker")}, {Plural.Count(results.Repeats, "repeat")}, seed {results.Seed}"));
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
        html.Append("\n<h2>All models on one time axis</h2><p class=\"note\">One row per model, from its start to its end; the darker the bar, the more of the model's tasks were running at that moment (relative to its own peak).</p>");
        html.Append(Overview(results));
        html.Append("\n<h2>Timelines</h2><p class=\"note\">One lane per thread (t<i>id</i>) or worker process (w<i>n</i>); one bar per task, from its start to its end, red when the task failed. Tasks that overlap on one thread (async) are stacked in the thread's lane. Each model has its own time scale.</p>");
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
            : completed >= 2 ? F($"All {Plural.Count(completed, "completed model")} produced the same results.")
            : completed == 1 ? "Only one model completed: there was no other to compare its results with."
            : "No model completed: nothing was compared.";
        html.Append(F($"<li>{agreement}</li>"));
        var o = results.Overhead;
        html.Append(F($"<li>Harness: recording a task costs {o.RecordingNsPerTask:0} ns; the sampler took {Plural.Count(o.SamplerSamples, "sample")} every {o.SamplerPeriodMs} ms ({o.SamplerMs:0.0} ms in all, on its own thread); setup took {Narrative.Ms(o.SetupMs)}, outside every model.</li>"));
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
        var svg = new StringBuilder(Open(height, "all models on one time axis"));
        for (var i = 0; i < models.Count; i++)
        {
            var m = models[i];
            var y = i * rowHeight;
            svg.Append(F($"<text x=\"0\" y=\"{y + 15}\" font-size=\"12\">{E(m.Model)}</text>"));
            svg.Append(F($"<rect x=\"{LabelWidth}\" y=\"{y + 3}\" width=\"{Plot}\" height=\"{rowHeight - 6}\" fill=\"{TrackColour}\"/>"));
            var concurrency = TimelineLayout.Buckets(m, axis, Plot);
            var max = Math.Max(1, concurrency.Max());
            for (var x = 0; x < Plot; x++)
            {
                if (concurrency[x] > 0)
                {
                    svg.Append(F($"<rect x=\"{LabelWidth + x}\" y=\"{y + 3}\" width=\"1\" height=\"{rowHeight - 6}\" fill=\"{OkColour}\" fill-opacity=\"{Opacity(concurrency[x], max):0.00}\"/>"));
                }
            }

            svg.Append(WallLabel(Narrative.Ms(m.WallMs), LabelWidth + (m.WallMs / axis * Plot), y + 15, concurrency, max));
        }

        Axis(svg, models.Count * rowHeight, axis);
        svg.Append("</svg>");
        return svg.ToString();
    }

    // How dark a pixel column of the overview is: by the tasks running then, relative to the model's peak.
    private static double Opacity(double running, double peak) => Math.Round(0.35 + (0.65 * Math.Min(1, running / peak)), 2);

    /// <summary>
    /// A model's wall time at the end of its bar: after the bar, in muted ink, when it fits; otherwise
    /// inside the bar's end, in the colour (<see cref="Light"/> or <see cref="Ink"/>) whose worst contrast
    /// with the pixels under the label is the best.
    /// </summary>
    private static string WallLabel(string text, double end, int baseline, double[] concurrency, double max)
    {
        const int size = 11;
        var width = TextWidth(text, size);
        if (end + 4 + width <= Width)
        {
            return F($"<text x=\"{end + 4:0.##}\" y=\"{baseline}\" font-size=\"{size}\" fill=\"{Muted}\">{E(text)}</text>");
        }

        var right = end - 4;
        var under = new List<string>();
        for (var x = (int)Math.Floor(right - width - LabelWidth); x < (int)Math.Ceiling(right - LabelWidth); x++)
        {
            var running = x >= 0 && x < concurrency.Length ? concurrency[x] : 0;
            under.Add(running > 0 ? Over(OkColour, Opacity(running, max), TrackColour) : TrackColour);
        }

        return F($"<text x=\"{right:0.##}\" y=\"{baseline}\" font-size=\"{size}\" text-anchor=\"end\" fill=\"{LabelColour(under)}\">{E(text)}</text>");
    }

    private static string Timeline(ModelResult model)
    {
        if (model.Tasks.Count == 0)
        {
            return F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"24\" viewBox=\"0 0 {Width} 24\" role=\"img\" aria-label=\"{E(model.Model)} timeline\"><text x=\"0\" y=\"16\" font-size=\"12\" fill=\"{Muted}\">no task ran</text></svg>");
        }

        var lanes = TimelineLayout.Build(model);
        var rows = lanes.Sum(l => l.Rows.Count);
        var rowHeight = Math.Clamp(320.0 / rows, 1.2, 12);
        var axis = Math.Max(1, Math.Max(model.WallMs, model.Tasks.Max(t => t.EndMs)));
        var height = Math.Ceiling((rows * rowHeight) + 44);
        var svg = new StringBuilder(Open(height, E(model.Model) + " timeline"));
        var y = 0.0;
        var shade = false;
        foreach (var lane in lanes)
        {
            var laneHeight = lane.Rows.Count * rowHeight;
            if (shade)
            {
                svg.Append(F($"<rect x=\"{LabelWidth}\" y=\"{y:0.##}\" width=\"{Plot}\" height=\"{laneHeight:0.##}\" fill=\"#f6f7fa\"/>"));
            }

            shade = !shade;
            if (laneHeight >= 9)
            {
                svg.Append(F($"<text x=\"0\" y=\"{y + Math.Min(laneHeight, 12) - 2:0.##}\" font-size=\"10\" fill=\"{Muted}\">{E(lane.Name)}</text>"));
            }

            foreach (var row in lane.Rows)
            {
                foreach (var task in row)
                {
                    var x = LabelWidth + (task.StartMs / axis * Plot);
                    var w = Math.Max(0.8, (task.EndMs - task.StartMs) / axis * Plot);
                    svg.Append(F($"<rect x=\"{x:0.##}\" y=\"{y + 0.1:0.##}\" width=\"{w:0.##}\" height=\"{Math.Max(0.8, rowHeight - 0.4):0.##}\" fill=\"{(task.Ok ? OkColour : FailedColour)}\"><title>task {task.Index} on {E(task.Lane)}: {task.StartMs:0.0}-{task.EndMs:0.0} ms{(task.Error is null ? "" : " " + E(task.Error))}</title></rect>"));
                }

                y += rowHeight;
            }
        }

        svg.Append(F($"<text x=\"0\" y=\"{y + 22:0}\" font-size=\"10\" fill=\"{Muted}\">{Plural.Count(lanes.Count, "lane")}</text>"));
        Axis(svg, y, axis);
        Legend(svg, y + 38, model);
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>What the bars' colours mean, with the counts: <c>38 tasks ok</c>, <c>1 task failed</c>.</summary>
    private static void Legend(StringBuilder svg, double baseline, ModelResult model)
    {
        var failed = model.Tasks.Count(t => !t.Ok);
        var x = (double)LabelWidth;
        foreach (var (colour, text) in new[] { (OkColour, Plural.Count(model.Tasks.Count - failed, "task") + " ok"), (FailedColour, Plural.Count(failed, "task") + " failed") })
        {
            svg.Append(F($"<rect x=\"{x:0.##}\" y=\"{baseline - 9:0.##}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{x + 14:0.##}\" y=\"{baseline:0.##}\" font-size=\"10\" fill=\"{Muted}\">{text}</text>"));
            x += 14 + TextWidth(text, 10) + 16;
        }

        if (model.TasksNotRun > 0)
        {
            svg.Append(F($"<text x=\"{x:0.##}\" y=\"{baseline:0.##}\" font-size=\"10\" fill=\"{Muted}\">{Plural.Count(model.TasksNotRun, "task")} not run (no bar)</text>"));
        }
    }

    private static string Open(double height, string label) =>
        F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height:0}\" viewBox=\"0 0 {Width} {height:0}\" role=\"img\" aria-label=\"{label}\">");

    private static void Axis(StringBuilder svg, double y, double axisMs)
    {
        svg.Append(F($"<line x1=\"{LabelWidth}\" y1=\"{y + 2:0.##}\" x2=\"{LabelWidth + Plot}\" y2=\"{y + 2:0.##}\" stroke=\"#8b93a5\"/>"));
        var step = NiceStep(axisMs / 8);
        for (var t = 0.0; t <= axisMs + 1e-9; t += step)
        {
            var x = LabelWidth + (t / axisMs * Plot);
            var label = Narrative.Ms(t);
            // Centred under its tick, unless that would cross the right edge: then it ends at the tick.
            var anchor = x + (TextWidth(label, 10) / 2) > Width ? "end" : "middle";
            svg.Append(F($"<line x1=\"{x:0.##}\" y1=\"{y + 2:0.##}\" x2=\"{x:0.##}\" y2=\"{y + 6:0.##}\" stroke=\"#8b93a5\"/><text x=\"{x:0.##}\" y=\"{y + 18:0.##}\" font-size=\"10\" text-anchor=\"{anchor}\" fill=\"{Muted}\">{label}</text>"));
        }
    }

    /// <summary>An estimate of a label's width, in user units, generous rather than tight.</summary>
    internal static double TextWidth(string text, double fontSize) => text.Length * fontSize * EmPerChar;

    /// <summary>
    /// <see cref="Light"/> or <see cref="Ink"/>: the one whose lowest WCAG contrast ratio with
    /// <paramref name="backgrounds"/> is the higher (light text on a dark bar, dark text on a pale one).
    /// </summary>
    internal static string LabelColour(IReadOnlyCollection<string> backgrounds) =>
        backgrounds.Count == 0 ? Ink : new[] { Light, Ink }.MaxBy(text => backgrounds.Min(b => Contrast(text, b)))!;

    /// <summary>The WCAG 2 contrast ratio of two <c>#rrggbb</c> colours, from 1 to 21.</summary>
    internal static double Contrast(string a, string b)
    {
        var (la, lb) = (Luminance(a), Luminance(b));
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }

    /// <summary>The WCAG 2 relative luminance of a <c>#rrggbb</c> colour, from 0 (black) to 1 (white).</summary>
    internal static double Luminance(string colour)
    {
        var (r, g, b) = Rgb(colour);
        static double Linear(int channel)
        {
            var c = channel / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }

        return (0.2126 * Linear(r)) + (0.7152 * Linear(g)) + (0.0722 * Linear(b));
    }

    /// <summary>The colour a browser paints: <paramref name="colour"/> at <paramref name="opacity"/> over <paramref name="background"/>.</summary>
    internal static string Over(string colour, double opacity, string background)
    {
        var (fr, fg, fb) = Rgb(colour);
        var (br, bg, bb) = Rgb(background);
        int Mix(int f, int b) => (int)Math.Round((f * opacity) + (b * (1 - opacity)));
        return F($"#{Mix(fr, br):x2}{Mix(fg, bg):x2}{Mix(fb, bb):x2}");
    }

    private static (int R, int G, int B) Rgb(string colour)
    {
        var hex = colour.TrimStart('#');
        if (hex.Length == 3)
        {
            hex = string.Concat(hex.Select(c => new string(c, 2)));
        }

        return (Convert.ToInt32(hex[..2], 16), Convert.ToInt32(hex[2..4], 16), Convert.ToInt32(hex[4..6], 16));
    }

    /// <summary>A round step (1, 2 or 5 times a power of ten) at least <paramref name="raw"/>, for axis ticks.</summary>
    internal static double NiceStep(double raw)
    {
        if (raw <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        return magnitude * (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10);
    }

    /// <summary>HTML-encodes <paramref name="text"/>.</summary>
    internal static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
