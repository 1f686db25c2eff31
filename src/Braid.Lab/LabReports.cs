using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Braid.Lab.Output;
using Braid.Lab.Reports;

namespace Braid.Lab;

/// <summary>Turns <see cref="LabResults"/> into the lab's outputs (JSON, HTML, trace, terminal timeline) and writes files without leaving partial ones.</summary>
public static class LabReports
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The JSON results, as described by docs/lab-results.schema.json.</summary>
    /// <param name="results">A lab run's results.</param>
    /// <returns>Indented JSON with camelCase names.</returns>
    public static string ToJson(LabResults results) => JsonSerializer.Serialize(results, JsonOptions);

    /// <summary>Reads JSON results back (for comparing runs).</summary>
    /// <param name="json">Text written by <see cref="ToJson"/>.</param>
    /// <returns>The results.</returns>
    /// <exception cref="JsonException">The text is not lab results.</exception>
    public static LabResults FromJson(string json) => JsonSerializer.Deserialize<LabResults>(json, JsonOptions) ?? throw new JsonException("empty results");

    /// <summary>The self-contained HTML report: the table, an SVG timeline per model, and sentences generated from the numbers.</summary>
    /// <param name="results">A lab run's results.</param>
    /// <returns>One HTML document with no external resources.</returns>
    public static string ToHtml(LabResults results) => HtmlReport.Render(results);

    /// <summary>A Chrome / Perfetto trace (trace event JSON) of every task of every model.</summary>
    /// <param name="results">A lab run's results.</param>
    /// <returns>A JSON object with a <c>traceEvents</c> array.</returns>
    public static string ToTrace(LabResults results) => TraceReport.Render(results);

    /// <summary>
    /// The terminal timeline, the book's first figure measured: one row per model on one shared time
    /// axis, each character a slice of time, darker where more tasks ran at once during it (on a log scale up to the model's own peak).
    /// </summary>
    /// <param name="results">A lab run's results.</param>
    /// <param name="width">Characters for the time axis (10 to 400).</param>
    /// <returns>The model names, the rows of block characters and each model's wall time, plus an axis line.</returns>
    public static IReadOnlyList<(string Model, string Bar, string Wall)> TerminalTimeline(LabResults results, int width)
    {
        ArgumentNullException.ThrowIfNull(results);
        width = Math.Clamp(width, 10, 400);
        var axis = results.Models.Count == 0 ? 0 : results.Models.Max(m => m.WallMs);
        const string shades = " ░▒▓█";
        var rows = new List<(string, string, string)>();
        foreach (var model in results.Models)
        {
            var buckets = TimelineLayout.Buckets(model, axis, width);
            var max = Math.Max(1, buckets.Max());
            var bar = new StringBuilder(width);
            foreach (var level in buckets)
            {
                // 0 tasks: blank; otherwise four shades on a log scale from 0.1 task to this model's peak.
                bar.Append(level <= 0 ? ' ' : shades[Math.Clamp(1 + (int)Math.Round(3.0 * Math.Log(Math.Max(level, 0.1) / 0.1) / Math.Log(Math.Max(max, 0.2) / 0.1)), 1, 4)]);
            }

            rows.Add((model.Model, bar.ToString(), model.Status == "completed" ? Narrative.Ms(model.WallMs) : model.Status));
        }

        return rows;
    }

    /// <summary>Checks that a file can be written at <paramref name="path"/>, without leaving anything there (<see cref="OutputFile.Check"/>).</summary>
    /// <param name="path">The output path.</param>
    /// <returns>Null when it can, otherwise one sentence saying why not.</returns>
    public static string? CheckWritable(string path) => OutputFile.Check(path);

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> as <see cref="OutputFile"/> does: atomically for a regular file, in place for a special one, <c>-</c> to standard output.</summary>
    /// <param name="path">The output path.</param>
    /// <param name="content">The text to write (UTF-8).</param>
    /// <param name="cancellationToken">Cancels the write; the temporary file is removed.</param>
    /// <returns>A task that completes when the file is in place.</returns>
    public static Task WriteFileAsync(string path, string content, CancellationToken cancellationToken = default) =>
        OutputFile.WriteAsync(path, content, cancellationToken);
}
