using System.Globalization;
using Braid.Interleaved;
using Braid.Interleaved.Cases;

// The interleaved console benchmark (issue 11): each Braid case and its anchor, round by round in one
// plain Release process, medians and run-to-run spread. BenchmarkDotNet (bench/Braid.Benchmarks) is
// the other harness; bench/README.md quotes both.
//
//   dotnet run -c Release --project bench/Braid.Interleaved -- [--filter TEXT[$]] [--rounds N] [--warmups N] [--collect] [--seed N] [--processes N] [--batch N] [--list]
var cases = new List<BenchCase>();
cases.AddRange(TaskGroupCases.All());
cases.AddRange(PipelineCases.All());

string? filter = null;
int rounds = 11, warmups = 5; // Five warm-ups: the tiered JIT was still compiling pipeline code seconds into a process.
var collect = false;
var seed = Environment.TickCount & 0xFFFF; // The order of the cases in each round is shuffled; --seed repeats an order.
var list = false;
var processes = 1;
var reportToParent = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
        case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0: rounds = r; i++; break;
        case "--warmups" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var w) && w >= 0: warmups = w; i++; break;
        case "--collect": collect = true; break;
        case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var s): seed = s; i++; break;
        case "--list": list = true; break;
        case "--processes" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var p) && p > 0: processes = p; i++; break;
        case "--batch" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var b) && b > 0: PipelineCases.TransferBatchSize = b; i++; break;
        case "--report-to-parent": reportToParent = true; break;
        default:
            Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'; options: --filter TEXT, --rounds N (>0), --warmups N (>=0), --collect, --seed N, --processes N (>0), --batch N (>0), --list");
            return 2;
    }
}

// A filter ending in '$' must match the end of "group/case": one case alone, in a process of its own.
var selected = cases.Where(c => filter is null || (filter.EndsWith('$')
    ? $"{c.Group}/{c.Name}".EndsWith(filter[..^1], StringComparison.OrdinalIgnoreCase)
    : $"{c.Group}/{c.Name}".Contains(filter, StringComparison.OrdinalIgnoreCase))).ToList();
if (list || selected.Count == 0)
{
    foreach (var c in selected.Count == 0 ? cases : selected)
    {
        Console.WriteLine($"{c.Group}/{c.Name}");
    }

    return selected.Count == 0 ? 2 : 0;
}

if (processes > 1)
{
    // Each process is one sample of the run-to-run spread; a fixed --seed is passed on to every one.
    var childArgs = args.Where((a, k) => a != "--processes" && (k == 0 || args[k - 1] != "--processes")).ToList();
    return await Processes.RunAsync(processes, childArgs, Console.Out);
}

Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}, "
    + $"tiered {Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") ?? "default"}, forced GC between runs {collect}, seed {seed}, pipeline batch {PipelineCases.TransferBatchSize}, load {LoadAverage()}");
return await Harness.RunAsync(selected, warmups, rounds, collect, seed, reportToParent, Console.Out) ? 0 : 1;

// The 1-minute load average where the OS reports it: a figure measured on a loaded machine says so.
static string LoadAverage()
{
    try
    {
        return File.ReadAllText("/proc/loadavg").Split(' ')[0];
    }
    catch (IOException)
    {
        return "unknown";
    }
    catch (UnauthorizedAccessException)
    {
        return "unknown";
    }
}
