using System.Diagnostics;
using System.Globalization;
using Braid.Tracing;

// braid ps at scale (issue 14): a target with N pending chains of three async methods and about MB megabytes
// of other live objects; each round reads it once in each mode and prints the pause and the total that
// AsyncProcess reports, and where the time went: each phase's wall-clock/processor milliseconds.
// Usage: dotnet run -c Release --project bench/Braid.Tracing.Bench -- [chains=10000] [megabytes=200] [rounds=3] [modes=copy,in-place,dump]
var chains = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var megabytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var modes = (args.Length > 3 ? args[3] : "copy,in-place,dump").Split(',').Select(m => m switch
{
    "copy" => ReadMode.Copy,
    "in-place" => ReadMode.InPlace,
    "dump" => ReadMode.Dump,
    _ => ReadMode.Auto,
}).ToList();

// The target is started by a shell, not by this process: .NET reaps its own children on SIGCHLD, and that
// would take the stop that attaching waits for (ClrMD would wait forever). braid ps never reads its own child.
var start = new ProcessStartInfo("sh") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
start.ArgumentList.Add("-c");
start.ArgumentList.Add("exec 3<&0; dotnet \"$0\" many \"$1\" \"$2\" <&3 3<&- & wait");
start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Braid.Tracing.Target.dll"));
start.ArgumentList.Add(chains.ToString(CultureInfo.InvariantCulture));
start.ArgumentList.Add(megabytes.ToString(CultureInfo.InvariantCulture));
using var shell = Process.Start(start)!;
var ready = await shell.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the target did not start");
using var target = Process.GetProcessById(int.Parse(ready["ready ".Length..], CultureInfo.InvariantCulture));
try
{
    Console.WriteLine($"target {ready}: {chains} chains, ~{megabytes} MB; load {File.ReadAllText("/proc/loadavg").Trim()}");
    for (var round = 1; round <= rounds; round++)
    {
        foreach (var mode in modes)
        {
            var snapshot = AsyncProcess.Capture(target.Id, mode);
            var phases = string.Join(", ", snapshot.Timings.Select(t => $"{t.Phase} {t.Time.TotalMilliseconds:F0}/{t.Cpu.TotalMilliseconds:F0}"));
            Console.WriteLine($"round {round} {mode,-7} ({snapshot.Source}): {snapshot.MethodCount} methods, paused {snapshot.PauseTime.TotalMilliseconds:F0} ms, total {snapshot.TotalTime.TotalMilliseconds:F0} ms  [{phases}]");
        }
    }
}
finally
{
    target.Kill();
    shell.Kill();
}
