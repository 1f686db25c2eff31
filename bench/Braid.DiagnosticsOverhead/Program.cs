using System.Diagnostics;
using System.Globalization;
using Braid.DiagnosticsOverhead;

// What diagnostics cost (issue 13, docs/diagnostics.md): the CPU time of each workload under each mode,
// the modes interleaved round by round in a rotating order, so each sees the same machine state.
// "none again" is the baseline measured twice: its ratio is the noise floor.
//
//   dotnet run -c Release --project bench/Braid.DiagnosticsOverhead -- [--rounds N] [--warmups N] [--filter TEXT]
int rounds = 9, warmups = 2;
string? filter = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0: rounds = r; i++; break;
        case "--warmups" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var w) && w >= 0: warmups = w; i++; break;
        case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
        default:
            Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'; options: --rounds N (>0), --warmups N (>=0), --filter TEXT");
            return 2;
    }
}

(string Name, int Operations, Func<Task<long>> Run)[] workloads =
[
    ("cpu-heavy async (64 children x 100 hash-then-yield steps)", Workloads.Workers * Workloads.Steps, Workloads.CpuHeavyAsync),
    ("100k-child group (synchronous children)", Workloads.Children, Workloads.HundredThousandChildrenAsync),
];
var modes = Modes.All();
Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Trim()}");
foreach (var mode in modes)
{
    Console.WriteLine($"  {mode.Name,-11} {mode.Description}");
}

foreach (var (name, operations, run) in workloads.Where(w => filter is null || w.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
{
    var cpu = modes.Select(_ => new List<double>()).ToArray();
    var wall = modes.Select(_ => new List<double>()).ToArray();
    long? checksum = null;
    for (var round = -warmups; round < rounds; round++)
    {
        for (var k = 0; k < modes.Count; k++)
        {
            var index = (k + Math.Max(round, 0)) % modes.Count;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using (modes[index].Start())
            {
                var process = Process.GetCurrentProcess();
                var cpuBefore = process.TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                var sum = await run();
                var elapsed = Stopwatch.GetElapsedTime(start);
                process.Refresh();
                var cpuUsed = process.TotalProcessorTime - cpuBefore;
                checksum ??= sum;
                if (sum != checksum)
                {
                    Console.WriteLine($"CHECKSUM MISMATCH in {name} under {modes[index].Name}");
                    return 1;
                }

                if (round >= 0)
                {
                    cpu[index].Add(cpuUsed.TotalNanoseconds / operations);
                    wall[index].Add(elapsed.TotalNanoseconds / operations);
                }
            }
        }
    }

    Console.WriteLine();
    Console.WriteLine($"{name}  ({rounds} rounds, per operation; ratio = median of the per-round ratios to 'none')");
    Console.WriteLine($"  {"mode",-11} {"cpu median",11} {"cpu ratio",10} {"ratio range",14} {"wall median",12} {"wall ratio",11}");
    for (var i = 0; i < modes.Count; i++)
    {
        var cpuRatios = cpu[i].Select((t, r) => t / cpu[0][r]).ToList();
        var wallRatios = wall[i].Select((t, r) => t / wall[0][r]).ToList();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {modes[i].Name,-11} {Ns(Median(cpu[i])),11} {Median(cpuRatios),9:0.000}x {$"{cpuRatios.Min():0.00}-{cpuRatios.Max():0.00}x",14} {Ns(Median(wall[i])),12} {Median(wallRatios),10:0.000}x"));
    }
}

return 0;

static string Ns(double ns) => ns >= 10_000
    ? (ns / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " us"
    : ns.ToString(ns >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " ns";

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    var mid = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
