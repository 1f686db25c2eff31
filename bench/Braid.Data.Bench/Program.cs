using System.Globalization;
using Braid.Data.Bench;

// Issue 16's numbers, measured by the same code as `braid db` (Braid.Data's PostgresExperiments), in a plain
// Release console process against a real PostgreSQL: the pool against fresh connections (1,000 short queries),
// binary COPY against batched INSERT and row by row, and the memory of fetching 10k against 1M rows
// (all at once, keyset pages, streamed). It prints every case, then each claim with its verdict.
//
//   eval "$(bash scripts/postgres-start.sh)"        # exports BRAID_POSTGRES
//   dotnet run -c Release --project bench/Braid.Data.Bench [-- --quick] [--repeats 3] [--bulk-rows 20000] [--large 1000000]
//
// Figures and the machine's load when they were taken are in bench/README.md ("Databases").
var c = CultureInfo.InvariantCulture;
if (DataBenchOptions.Parse(args, Environment.GetEnvironmentVariable("BRAID_POSTGRES")) is not { } options)
{
    return 2;
}

Console.WriteLine(string.Create(c, $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, load {File.ReadAllText("/proc/loadavg").Trim()}"));
Console.WriteLine(string.Create(c, $"queries {options.Queries} ({options.Concurrency} at once), bulk rows {options.BulkRows}, fetch {options.SmallRows} and {options.LargeRows} rows, {options.Repeats} repeat(s), median reported"));
try
{
    var claims = await DataBench.RunAsync(options, Console.Out, CancellationToken.None);
    Console.WriteLine(string.Create(c, $"load at the end {File.ReadAllText("/proc/loadavg").Trim()}"));
    return claims.All(claim => claim.Met) ? 0 : 1;
}
catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or ArgumentException)
{
    Console.Error.WriteLine("Braid.Data.Bench: " + e.Message.Split('\n')[0]);
    return 2;
}
