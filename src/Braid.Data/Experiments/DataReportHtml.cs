using System.Globalization;
using System.Net;
using System.Text;

namespace Braid.Data.Experiments;

/// <summary>A <see cref="DataReport"/> as a self-contained HTML page: a table a case, the settings and the notes.</summary>
internal static class DataReportHtml
{
    /// <summary>The page; every text is HTML-encoded, and the connection string's password is already masked.</summary>
    public static string Write(DataReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>braid db ")
            .Append(Encode(report.Experiment))
            .Append("</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}")
            .Append("th,td{border:1px solid #ccc;padding:.3em .6em}td.n{text-align:right;font-variant-numeric:tabular-nums}</style></head><body>\n")
            .Append("<h1>braid db ").Append(Encode(report.Experiment)).Append("</h1>\n<p><code>").Append(Encode(report.Connection)).Append("</code></p>\n");
        var metrics = report.Cases.SelectMany(x => x.Metrics).Select(m => (m.Name, m.Unit)).Distinct().ToList();
        html.Append("<table><tr><th>case</th>");
        foreach (var (name, unit) in metrics)
        {
            html.Append("<th>").Append(Encode(unit is "" ? name : $"{name} ({unit})")).Append("</th>");
        }

        html.Append("</tr>\n");
        foreach (var row in report.Cases)
        {
            html.Append("<tr><td>").Append(Encode(row.Name)).Append("</td>");
            foreach (var (name, _) in metrics)
            {
                var value = row.Metrics.FirstOrDefault(m => m.Name == name);
                html.Append("<td class=\"n\">").Append(value.Name is null ? "" : value.Value.ToString(value.Value == Math.Floor(value.Value) ? "N0" : "N2", c)).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</table>\n<h2>Settings</h2>\n<ul>");
        foreach (var (key, value) in report.Settings)
        {
            html.Append("<li>").Append(Encode(key)).Append(" = ").Append(Encode(value)).Append("</li>");
        }

        html.Append("</ul>\n<h2>Notes</h2>\n<ul>");
        foreach (var note in report.Notes)
        {
            html.Append("<li>").Append(Encode(note)).Append("</li>");
        }

        return html.Append("</ul>\n</body></html>\n").ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
