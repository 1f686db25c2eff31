using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Braid.Simulation.Model;

namespace Braid.Simulation.Reports;

/// <summary>
/// The reports of one or more runs side by side: JSON (every yearly record, the histogram, policy
/// outcomes, fallbacks) and a self-contained HTML page (inline CSS and SVG: Gini over time, cooperation
/// share over time, final wealth histograms, wealth share by policy, the model's share of decisions).
/// </summary>
public static class SimulationReport
{
    private const int Width = 900;
    private const int Height = 260;
    private const int Left = 56;
    private const int Bottom = 34;
    private static readonly string[] Colours = ["#2e6bd6", "#d92d20", "#067647", "#b54708", "#7a5af8", "#0e9384", "#c11574", "#475467"];
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>The runs as indented JSON.</summary>
    /// <param name="results">The runs, in order.</param>
    /// <param name="engine">What ran them (<c>in-process</c> or <c>orleans</c>).</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(IReadOnlyList<TradeSimulationResult> results, string engine = "in-process")
    {
        var runs = new JsonArray();
        foreach (var r in results)
        {
            var o = r.Options;
            runs.Add(new JsonObject
            {
                ["label"] = o.DisplayName,
                ["seed"] = o.Seed,
                ["agents"] = o.Agents,
                ["years"] = o.Years,
                ["initialWealth"] = o.InitialWealth,
                ["payoffs"] = new JsonObject { ["reward"] = o.Payoffs.Reward, ["temptation"] = o.Payoffs.Temptation, ["sucker"] = o.Payoffs.Sucker, ["punishment"] = o.Payoffs.Punishment },
                ["policies"] = new JsonArray([.. o.Policies.Select(p => (JsonNode)PolicyNames.Name(p))]),
                ["finalGini"] = r.FinalGini,
                ["decisions"] = r.Decisions,
                ["modelShare"] = r.ModelShare,
                ["fallbacks"] = new JsonObject(r.Fallbacks.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))),
                ["modelUnreachable"] = r.ModelUnreachable,
                ["wealthChecksum"] = r.WealthChecksum.ToString("x16", C),
                ["histogram"] = new JsonObject { ["max"] = r.HistogramMax, ["counts"] = new JsonArray([.. r.Histogram.Select(c => (JsonNode)c)]) },
                ["policyOutcomes"] = new JsonArray([.. r.Policies.Select(p => (JsonNode)new JsonObject { ["policy"] = PolicyNames.Name(p.Policy), ["agents"] = p.Agents, ["wealth"] = p.Wealth, ["wealthShare"] = p.WealthShare })]),
                ["yearly"] = new JsonArray([.. r.Years.Select(y => (JsonNode)new JsonObject
                {
                    ["year"] = y.Year,
                    ["gini"] = y.Gini,
                    ["totalWealth"] = y.TotalWealth,
                    ["cooperations"] = y.Cooperations,
                    ["defections"] = y.Defections,
                    ["cooperationShare"] = y.CooperationShare,
                    ["modelDecisions"] = y.ModelDecisions,
                    ["fallbacks"] = y.Fallbacks,
                    ["sitOuts"] = new JsonArray([.. y.SitOuts.Select(s => (JsonNode)s)]),
                })]),
            });
        }

        return new JsonObject { ["engine"] = engine, ["runs"] = runs }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The runs as a self-contained HTML page.</summary>
    /// <param name="results">The runs, in order.</param>
    /// <param name="engine">What ran them.</param>
    /// <returns>The HTML text.</returns>
    public static string ToHtml(IReadOnlyList<TradeSimulationResult> results, string engine = "in-process")
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>braid sim</title><style>");
        html.Append("body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;margin:24px auto;max-width:940px;padding:0 12px;color:#1d2330}");
        html.Append("h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 6px}.meta,.desc{color:#5b6477;font-size:13px}");
        html.Append("table{border-collapse:collapse;font-size:12.5px;width:100%}th,td{padding:3px 6px;border-bottom:1px solid #e3e6ee;text-align:right}th{background:#f3f5f9}td:first-child,th:first-child{text-align:left}");
        html.Append("svg{display:block;max-width:100%;height:auto}.key{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}</style></head><body>\n");
        html.Append("<h1>braid sim: the trading model</h1>\n");
        html.Append(F($"<p class=\"meta\">{results.Count} run(s), {E(engine)}. Each quarter agents are paired at random and trade under a prisoner's dilemma; wealth is floored at 0 after each quarter.</p>\n"));
        Summary(html, results);
        Legend(html, results);
        html.Append("<h2>Gini over time</h2><p class=\"desc\">Inequality of wealth at the end of each year (0: all equal; (n−1)/n: one agent holds all).</p>\n");
        html.Append(LineChart(results, y => y.Gini, "Gini"));
        html.Append("<h2>Tactic shares over time</h2><p class=\"desc\">The share of moves that cooperated each year (the rest cheated).</p>\n");
        html.Append(LineChart(results, y => y.CooperationShare, "cooperation share"));
        html.Append("<h2>Wealth by policy at the end</h2>\n<table><tr><th>run</th><th>policy</th><th>agents</th><th>wealth</th><th>share of all wealth</th></tr>\n");
        foreach (var r in results)
        {
            foreach (var p in r.Policies)
            {
                html.Append(F($"<tr><td>{E(r.Options.DisplayName)}</td><td>{PolicyNames.Name(p.Policy)}</td><td>{p.Agents:N0}</td><td>{p.Wealth:N0}</td><td>{p.WealthShare:P1}</td></tr>\n"));
            }
        }

        html.Append("</table>\n<h2>Wealth histogram at the end</h2>\n");
        foreach (var (r, i) in results.Select((r, i) => (r, i)))
        {
            html.Append(F($"<p class=\"desc\">{E(r.Options.DisplayName)}: agents per wealth bin, 0 to {r.HistogramMax:N0}</p>\n"));
            html.Append(Histogram(r, Colours[i % Colours.Length]));
        }

        html.Append("<h2>The model's share of decisions</h2><p class=\"desc\">Moves the language model made; every fallback to tit-for-tat is counted with its reason.</p>\n");
        html.Append("<table><tr><th>run</th><th>decisions</th><th>by the model</th><th>fallbacks</th></tr>\n");
        foreach (var r in results)
        {
            var fallbacks = r.Fallbacks.Count == 0 ? "none" : string.Join(", ", r.Fallbacks.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => F($"{E(f.Key)}: {f.Value:N0}")));
            html.Append(F($"<tr><td>{E(r.Options.DisplayName)}</td><td>{r.Decisions:N0}</td><td>{r.ModelShare:P1}</td><td>{fallbacks}</td></tr>\n"));
        }

        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, IReadOnlyList<TradeSimulationResult> results)
    {
        html.Append("<table><tr><th>run</th><th>agents</th><th>years</th><th>payoffs R,T,S,P</th><th>final Gini</th><th>cooperation</th><th>total wealth</th></tr>\n");
        foreach (var r in results)
        {
            var last = r.Years.Count == 0 ? null : r.Years[^1];
            html.Append(F($"<tr><td>{E(r.Options.DisplayName)}</td><td>{r.Options.Agents:N0}</td><td>{r.Options.Years}</td><td>{r.Options.Payoffs}</td><td>{r.FinalGini:F3}</td><td>{last?.CooperationShare ?? 0:P1}</td><td>{last?.TotalWealth ?? r.Options.Agents * r.Options.InitialWealth:N0}</td></tr>\n"));
        }

        html.Append("</table>\n");
    }

    private static void Legend(StringBuilder html, IReadOnlyList<TradeSimulationResult> results)
    {
        html.Append("<p class=\"meta\">");
        foreach (var (r, i) in results.Select((r, i) => (r, i)))
        {
            html.Append(F($"<span class=\"key\" style=\"background:{Colours[i % Colours.Length]}\"></span>{E(r.Options.DisplayName)} &nbsp; "));
        }

        html.Append("</p>\n");
    }

    private static string LineChart(IReadOnlyList<TradeSimulationResult> results, Func<YearRecord, double> value, string name)
    {
        var years = Math.Max(1, results.Max(r => r.Years.Count));
        var top = Math.Max(0.05, results.SelectMany(r => r.Years).Select(value).DefaultIfEmpty(0).Max());
        top = Math.Ceiling(top * 10) / 10;
        var svg = new StringBuilder();
        svg.Append(F($"<svg viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{E(name)} by year\">"));
        var plotW = Width - Left - 16;
        var plotH = Height - Bottom - 12;
        for (var t = 0; t <= 4; t++)
        {
            var v = top * t / 4;
            var y = 12 + plotH - (plotH * t / 4.0);
            svg.Append(F($"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Width - 16}\" y2=\"{y:F1}\" stroke=\"#e3e6ee\"/><text x=\"{Left - 6}\" y=\"{y + 4:F1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6477\">{v:0.###}</text>"));
        }

        double X(int year) => Left + (years == 1 ? plotW / 2.0 : plotW * (year - 1) / (double)(years - 1));
        for (var year = 1; year <= years; year += Math.Max(1, years / 10))
        {
            svg.Append(F($"<text x=\"{X(year):F1}\" y=\"{Height - 14}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6477\">{year}</text>"));
        }

        svg.Append(F($"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#5b6477\">year</text>"));
        foreach (var (r, i) in results.Select((r, i) => (r, i)))
        {
            var colour = Colours[i % Colours.Length];
            var points = string.Join(' ', r.Years.Select(y => F($"{X(y.Year):F1},{12 + plotH - (plotH * value(y) / top):F1}")));
            svg.Append(F($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{points}\"><title>{E(r.Options.DisplayName)}</title></polyline>"));
            foreach (var y in r.Years)
            {
                svg.Append(F($"<circle cx=\"{X(y.Year):F1}\" cy=\"{12 + plotH - (plotH * value(y) / top):F1}\" r=\"2.5\" fill=\"{colour}\"><title>{E(r.Options.DisplayName)}, year {y.Year}: {value(y):0.####}</title></circle>"));
            }
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static string Histogram(TradeSimulationResult r, string colour)
    {
        const int height = 160;
        var bins = r.Histogram.Count;
        var most = Math.Max(1, r.Histogram.Max());
        var plotW = Width - Left - 16;
        var plotH = height - Bottom;
        var barW = plotW / (double)bins;
        var svg = new StringBuilder(F($"<svg viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"wealth histogram\">"));
        svg.Append(F($"<text x=\"{Left - 6}\" y=\"16\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6477\">{most:N0}</text><text x=\"{Left - 6}\" y=\"{plotH + 4}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6477\">0</text>"));
        long? labelled = null;
        for (var b = 0; b < bins; b++)
        {
            var h = plotH * r.Histogram[b] / (double)most;
            var lo = r.HistogramMax * b / bins;
            svg.Append(F($"<rect x=\"{Left + (b * barW) + 1:F1}\" y=\"{plotH - h + 4:F1}\" width=\"{barW - 2:F1}\" height=\"{h:F1}\" fill=\"{colour}\"><title>wealth from {lo:N0}: {r.Histogram[b]:N0} agents</title></rect>"));
            if (b % Math.Max(1, bins / 10) == 0 && lo != labelled && lo < r.HistogramMax)
            {
                labelled = lo;
                svg.Append(F($"<text x=\"{Left + (b * barW):F1}\" y=\"{height - 14}\" font-size=\"11\" fill=\"#5b6477\">{lo:N0}</text>"));
            }
        }

        svg.Append(F($"<text x=\"{Width - 16}\" y=\"{height - 14}\" font-size=\"11\" text-anchor=\"end\" fill=\"#5b6477\">{r.HistogramMax:N0}</text>"));
        return svg.Append("</svg>\n").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString text) => text.ToString(C);
}
