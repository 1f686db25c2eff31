using System.Diagnostics;
using System.Globalization;
using Braid.Tracing;

// braid ps at scale (issue 14): a target with N pending chains of three async methods and about MB megabytes
// of other live objects; each round reads it once and prints the pause and the total that AsyncProcess reports.
// Usage: dotnet run -c Release --project bench/Braid.Tracing.Bench -- [chains=10000] [megabytes=200] [rounds=3]
var chains = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var megabytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;

var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Braid.Tracing.Target.dll"));
start.ArgumentList.Add("many");
start.ArgumentList.Add(chains.ToString(CultureInfo.InvariantCulture));
start.ArgumentList.Add(megabytes.ToString(CultureInfo.InvariantCulture));
using var target = Process.Start(start)!;
try
{
    Console.WriteLine($"target {await target.StandardOutput.ReadLineAsync()}: {chains} chains, ~{megabytes} MB; load {File.ReadAllText("/proc/loadavg").Trim()}");
    for (var round = 1; round <= rounds; round++)
    {
        var snapshot = AsyncProcess.Capture(target.Id);
        Console.WriteLine($"round {round}: {snapshot.MethodCount} methods, paused {snapshot.PauseTime.TotalMilliseconds:F0} ms, total {snapshot.TotalTime.TotalMilliseconds:F0} ms");
    }
}
finally
{
    target.Kill();
}
