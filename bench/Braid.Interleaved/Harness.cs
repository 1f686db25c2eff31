using System.Diagnostics;
using System.Globalization;

namespace Braid.Interleaved;

/// <summary>
/// Runs every case of each group once per round, in an order shuffled from round to round (seeded), so a
/// case and its anchor see the same machine state (thread pool, JIT tier, GC, load). The order used to
/// rotate, which put the same case before each case in every round: the heap a case left (survivors
/// not yet collected, a gen1 collection due) was always paid by the same successor (bench/README.md,
/// sixth session). Reports per case the
/// median time per operation, its spread across rounds (max/min), the median of the per-round ratios to
/// the group's baseline, bytes allocated per operation (all threads) and thread-pool work items
/// completed per operation (hand-offs that cost a pool dispatch: the figure load disturbs least) and the
/// process's CPU time per operation (all threads, spinning included: less disturbed by load than wall time)
/// and the GC's pause time per operation (how much of the time is the collector's); per group, the range of
/// the thread pool's size after each run; and the voluntary context switches of all threads per 1,000
/// operations ("parks/1k": a thread that waits in the kernel for a wake-up) and the involuntary ones
/// ("preempt/1k": a thread the OS took the core from), see ContextSwitches.
/// </summary>
internal static class Harness
{
    public static async Task<bool> RunAsync(IReadOnlyList<BenchCase> cases, int warmups, int rounds, bool collect, int seed, bool reportToParent, TextWriter output)
    {
        var ok = true;
        var random = new Random(seed);
        foreach (var group in cases.GroupBy(c => c.Group))
        {
            var members = group.ToArray();
            var times = members.Select(_ => new List<double>()).ToArray();
            var bytes = members.Select(_ => new List<double>()).ToArray();
            var workItems = members.Select(_ => new List<double>()).ToArray();
            var cpu = members.Select(_ => new List<double>()).ToArray();
            var gcPause = members.Select(_ => new List<double>()).ToArray();
            var poolThreads = new List<double>();
            var switches = members.Select(_ => new List<double>()).ToArray();
            var preemptions = members.Select(_ => new List<double>()).ToArray();
            long? checksum = null;
            for (var round = -warmups; round < rounds; round++)
            {
                var order = Enumerable.Range(0, members.Length).ToArray();
                random.Shuffle(order);
                foreach (var index in order)
                {
                    var member = members[index];
                    if (collect)
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                    }

                    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                    var workItemsBefore = ThreadPool.CompletedWorkItemCount;
                    var cpuBefore = Environment.CpuUsage.TotalTime;
                    var pauseBefore = GC.GetTotalPauseDuration();
                    var switchesBefore = ContextSwitches.Read();
                    var start = Stopwatch.GetTimestamp();
                    var sum = await member.RunAsync();
                    var elapsed = Stopwatch.GetElapsedTime(start);
                    var cpuTime = Environment.CpuUsage.TotalTime - cpuBefore;
                    var pause = GC.GetTotalPauseDuration() - pauseBefore;
                    var switchesAfter = ContextSwitches.Read();
                    var completedWorkItems = ThreadPool.CompletedWorkItemCount - workItemsBefore;
                    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                    checksum ??= sum;
                    if (sum != checksum)
                    {
                        await output.WriteLineAsync($"CHECKSUM MISMATCH in {group.Key}: {member.Name} returned {sum}, expected {checksum}");
                        ok = false;
                    }

                    if (round >= 0)
                    {
                        times[index].Add(elapsed.TotalNanoseconds / member.Operations);
                        bytes[index].Add((double)allocated / member.Operations);
                        workItems[index].Add((double)completedWorkItems / member.Operations);
                        cpu[index].Add(cpuTime.TotalNanoseconds / member.Operations);
                        gcPause[index].Add(pause.TotalNanoseconds / member.Operations);
                        poolThreads.Add(ThreadPool.ThreadCount);
                        switches[index].Add(1000.0 * (switchesAfter.Voluntary - switchesBefore.Voluntary) / member.Operations);
                        preemptions[index].Add(1000.0 * (switchesAfter.Involuntary - switchesBefore.Involuntary) / member.Operations);
                    }
                }
            }

            Print(group.Key, members, times, bytes, workItems, cpu, gcPause, poolThreads, switches, preemptions, rounds, reportToParent, output);
        }

        return ok;
    }

    private static void Print(string group, BenchCase[] members, List<double>[] times, List<double>[] bytes, List<double>[] workItems, List<double>[] cpu, List<double>[] gcPause, List<double> poolThreads, List<double>[] switches, List<double>[] preemptions, int rounds, bool reportToParent, TextWriter output)
    {
        var baseline = Array.FindIndex(members, m => m.IsBaseline);
        output.WriteLine();
        // The pool's size decides how many loops run at once on a few cores (hill climbing sets it per process).
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group}  ({rounds} rounds, per operation; pool threads {poolThreads.Min()}-{poolThreads.Max()})"));
        output.WriteLine($"  {"case",-34} {"median",10} {"min",10} {"max",10} {"spread",7} {"ratio",7} {"alloc",9} {"pool items",10} {"cpu",9} {"cpu ratio",9} {"gc pause",9} {"parks/1k",8} {"preempt/1k",10}");
        for (var i = 0; i < members.Length; i++)
        {
            var ratio = baseline < 0 ? double.NaN : Median(times[i].Select((t, r) => t / times[baseline][r]).ToList());
            var cpuRatio = baseline < 0 ? double.NaN : Median(cpu[i].Select((t, r) => t / cpu[baseline][r]).ToList());
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {members[i].Name,-34} {Ns(Median(times[i])),10} {Ns(times[i].Min()),10} {Ns(times[i].Max()),10} {times[i].Max() / times[i].Min(),6:0.00}x {(double.IsNaN(ratio) ? "" : ratio.ToString("0.00", CultureInfo.InvariantCulture)),7} {Median(bytes[i]),7:0.#} B {Median(workItems[i]),10:0.###} {Ns(Median(cpu[i])),9} {(double.IsNaN(cpuRatio) ? "" : cpuRatio.ToString("0.00", CultureInfo.InvariantCulture)),9} {Ns(Median(gcPause[i])),9} {Median(switches[i]),8:0.##} {Median(preemptions[i]),10:0.##}"));
            if (reportToParent)
            {
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{Processes.ResultPrefix}{group}\t{members[i].Name}\t{Median(times[i])}\t{ratio}\t{Median(cpu[i])}\t{cpuRatio}"));
            }
        }
    }

    internal static string Ns(double ns) => ns >= 10_000
        ? (ns / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " us"
        : ns.ToString(ns >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " ns";

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
