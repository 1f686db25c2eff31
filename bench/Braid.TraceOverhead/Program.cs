using System.Diagnostics;
using System.Globalization;
using Braid.Tracing;

// What braid trace costs the traced program (issue 14, docs/tracing.md): a child process runs a fixed
// CPU-heavy async workload (samples/Braid.Tracing.Target cpu: 64 tasks hashing then yielding) once per
// mode and round and reports its own CPU time for it. Modes: untraced, untraced again (the A/A noise floor),
// traced with the default profile, traced with the causality profile; the tracing is ProcessTracer.TraceAsync,
// the library `braid trace --pid` runs, attached before the run and stopped after it. The modes are
// interleaved round by round in a rotating order, so each sees the same machine state.
//
//   dotnet run -c Release --project bench/Braid.TraceOverhead -- [--rounds N] [--warmups N] [--steps N]
int rounds = 7, warmups = 1, steps = 100;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0: rounds = r; i++; break;
        case "--warmups" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var w) && w >= 0: warmups = w; i++; break;
        case "--steps" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var s) && s > 0: steps = s; i++; break;
        default:
            Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'; options: --rounds N (>0), --warmups N (>=0), --steps N (>0)");
            return 2;
    }
}

(string Name, bool Traced, bool Causality)[] modes = [("none", false, false), ("none again", false, false), ("default", true, false), ("causality", true, true)];
var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Braid.Tracing.Target.dll"));
start.ArgumentList.Add("cpu");
start.ArgumentList.Add(steps.ToString(CultureInfo.InvariantCulture));
using var target = Process.Start(start)!;
try
{
    var ready = await target.StandardOutput.ReadLineAsync();
    Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores; target {ready}: 64 tasks x {steps} steps of hashing 16 KiB then yielding");
    Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");
    var cpu = modes.Select(_ => new List<double>()).ToArray();
    var events = modes.Select(_ => new List<long>()).ToArray();
    string? checksum = null;
    for (var round = -warmups; round < rounds; round++)
    {
        for (var k = 0; k < modes.Length; k++)
        {
            var index = (k + Math.Max(round, 0)) % modes.Length;
            var (ms, sum, seen) = await RunAsync(modes[index].Traced, modes[index].Causality);
            checksum ??= sum;
            if (sum != checksum)
            {
                Console.WriteLine($"CHECKSUM MISMATCH under {modes[index].Name}");
                return 1;
            }

            if (round >= 0)
            {
                cpu[index].Add(ms);
                events[index].Add(seen);
            }
        }

        if (round >= 0)
        {
            Console.WriteLine($"round {round + 1}: " + string.Join(", ", modes.Select((m, i) => string.Create(CultureInfo.InvariantCulture, $"{m.Name} {cpu[i][^1]:F0} ms"))));
        }
    }

    Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
    Console.WriteLine();
    Console.WriteLine($"target CPU time per run ({rounds} rounds; ratio = median of the per-round ratios to 'none', range = min-max)");
    Console.WriteLine($"  {"mode",-11} {"cpu median",11} {"ratio",8} {"ratio range",14} {"events a run",13}");
    for (var i = 0; i < modes.Length; i++)
    {
        var ratios = cpu[i].Select((t, r) => t / cpu[0][r]).ToList();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {modes[i].Name,-11} {Median(cpu[i]),8:F0} ms {Median(ratios),7:0.000}x {$"{ratios.Min():0.00}-{ratios.Max():0.00}x",14} {(modes[i].Traced ? Median([.. events[i].Select(e => (double)e)]).ToString("F0", CultureInfo.InvariantCulture) : "-"),13}"));
    }

    return 0;
}
finally
{
    target.Kill();
}

// One run of the workload, traced or not: the target's CPU milliseconds, its checksum, and the events the session saw.
async Task<(double Ms, string Checksum, long Events)> RunAsync(bool traced, bool causality)
{
    if (!traced)
    {
        var (ms, sum) = await WorkAsync();
        return (ms, sum, 0);
    }

    using var stop = new CancellationTokenSource();
    var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var tracing = ProcessTracer.TraceAsync(target.Id, new Braid.Tracing.TraceOptions { Duration = TimeSpan.FromMinutes(10), Causality = causality, Started = () => started.TrySetResult() }, stop.Token);
    await Task.WhenAny(started.Task, tracing);
    if (tracing.IsFaulted)
    {
        await tracing; // throws: the session was refused
    }

    var (cpuMs, checksum) = await WorkAsync();
    await stop.CancelAsync();
    var report = await tracing;
    return (cpuMs, checksum, report.Events);
}

async Task<(double Ms, string Checksum)> WorkAsync()
{
    await target.StandardInput.WriteLineAsync("run");
    await target.StandardInput.FlushAsync();
    // "cpu MS wall MS checksum N"
    var words = (await target.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the target exited")).Split(' ');
    return (double.Parse(words[1], CultureInfo.InvariantCulture), words[5]);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    var mid = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
