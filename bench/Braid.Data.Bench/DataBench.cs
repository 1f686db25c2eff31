using System.Globalization;
using Braid.Data.Experiments;
using Braid.Data.Postgres;

namespace Braid.Data.Bench;

/// <summary>One claim of issue 16, what was measured for it, and whether it holds.</summary>
internal sealed record Claim(string Name, string Measured, bool Met);

/// <summary>
/// Runs <c>braid db</c>'s experiments (connections, bulk, fetch at two sizes) <see cref="DataBenchOptions.Repeats"/>
/// times each, keeps each case's median, and judges issue 16's three claims from them.
/// </summary>
internal static class DataBench
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static async Task<IReadOnlyList<Claim>> RunAsync(DataBenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var connections = await MedianAsync(options, () => PostgresExperiments.ConnectionsAsync(options.Connection, options.Queries, options.Concurrency, cancellationToken), "elapsed", output);
        var bulk = await MedianAsync(options, () => PostgresExperiments.BulkAsync(options.Connection, options.BulkRows, cancellationToken), "elapsed", output);
        var small = await MedianAsync(options, () => PostgresExperiments.FetchAsync(options.Connection, options.SmallRows, options.PageSize, cancellationToken), "total", output);
        var large = await MedianAsync(options, () => PostgresExperiments.FetchAsync(options.Connection, options.LargeRows, options.PageSize, cancellationToken), "total", output);

        var claims = new List<Claim>();
        foreach (var how in new[] { "sequential", $"{options.Concurrency} at once" })
        {
            var fresh = Find(connections, $"fresh connection per query, {how}")["elapsed"];
            var pool = Find(connections, $"pool, {how}")["elapsed"];
            claims.Add(new Claim(
                $"pool >= 5x fresh connections, {options.Queries} short queries, {how}",
                F($"pool {pool:N0} ms, fresh {fresh:N0} ms: {fresh / pool:0.#}x"),
                fresh / pool >= 5));
        }

        var copy = Find(bulk, "binary COPY")["elapsed"];
        var batched = Find(bulk, "batched INSERT")["elapsed"];
        var rowByRow = Find(bulk, "row by row, one transaction")["elapsed"];
        var perRow = Find(bulk, "row by row, a commit per row")["elapsed"];
        claims.Add(new Claim(
            $"COPY >= 10x row-by-row INSERT, {options.BulkRows} rows",
            F($"COPY {copy:N0} ms, batched INSERT {batched:N0} ms ({batched / copy:0.#}x COPY), row by row in one transaction {rowByRow:N0} ms ({rowByRow / copy:0.#}x), a commit per row {perRow:N0} ms ({perRow / copy:0.#}x)"),
            rowByRow / copy >= 10));

        var streamedSmall = Find(small, "streamed");
        var streamedLarge = Find(large, "streamed");
        var keysetSmall = Find(small, "keyset");
        var keysetLarge = Find(large, "keyset");
        var listSmall = Find(small, "all at once");
        var listLarge = Find(large, "all at once");
        // Judged on growth: the live heap's peak during the case less the heap after a full collection before it,
        // which is what the form holds on to. The absolute peak also holds what the process held before the case
        // (after a 1M-row list, a few hundred KB more of the runtime's and Npgsql's own), so at sub-MB sizes it
        // compares the process, not the form; it is printed too. Resolution: 0.1 MB (the reading's noise).
        claims.Add(new Claim(
            $"streamed: memory at {options.LargeRows} rows within 1.2x of {options.SmallRows} rows (growth, to 0.1 MB)",
            F($"streamed growth {streamedSmall["growth"]:0.00} -> {streamedLarge["growth"]:0.00} MB (peak live heap {streamedSmall["peak live heap"]:0.00} -> {streamedLarge["peak live heap"]:0.00} MB); keyset growth {keysetSmall["growth"]:0.0} -> {keysetLarge["growth"]:0.0} MB; all at once growth {listSmall["growth"]:0.0} -> {listLarge["growth"]:0.0} MB"),
            streamedLarge["growth"] <= (1.2 * streamedSmall["growth"]) + 0.1));

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("claims (issue 16):").ConfigureAwait(false);
        foreach (var claim in claims)
        {
            await output.WriteLineAsync(F($"  {(claim.Met ? "met    " : "NOT MET")}  {claim.Name}: {claim.Measured}")).ConfigureAwait(false);
        }

        return claims;
    }

    /// <summary>Runs an experiment <see cref="DataBenchOptions.Repeats"/> times, prints each run's cases, and returns per case the run with the median <paramref name="metric"/>.</summary>
    private static async Task<IReadOnlyList<DataCase>> MedianAsync(DataBenchOptions options, Func<Task<DataReport>> run, string metric, TextWriter output)
    {
        var reports = new List<DataReport>();
        for (var i = 0; i < options.Repeats; i++)
        {
            var report = await run().ConfigureAwait(false);
            reports.Add(report);
            await output.WriteLineAsync(F($"{report.Experiment} (run {i + 1} of {options.Repeats}):")).ConfigureAwait(false);
            foreach (var @case in report.Cases)
            {
                await output.WriteLineAsync("  " + @case.Name + ": " + string.Join(", ", @case.Metrics.Select(m => F($"{m.Name} {m.Value:#,0.##} {m.Unit}").TrimEnd()))).ConfigureAwait(false);
            }
        }

        return [.. reports[0].Cases.Select((first, k) => reports.Select(r => r.Cases[k]).OrderBy(c => c[metric]).ElementAt((reports.Count - 1) / 2))];
    }

    private static DataCase Find(IReadOnlyList<DataCase> cases, string prefix) =>
        cases.FirstOrDefault(c => c.Name.StartsWith(prefix, StringComparison.Ordinal))
        ?? throw new InvalidOperationException($"no case '{prefix}' in {string.Join(", ", cases.Select(c => c.Name))}");

    private static string F(FormattableString text) => text.ToString(C);
}
