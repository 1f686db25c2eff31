using System.Diagnostics;
using System.Globalization;

namespace Braid.Interleaved;

/// <summary>
/// <c>--processes N</c>: runs the same selection in N fresh processes, one after another, echoes each
/// one's report, and then prints per case the median of the N process medians with their range and
/// spread (max/min) — the run-to-run spread issue 11 asks for beside every figure — and the same for
/// the per-round ratio to the baseline and the CPU time per operation.
/// </summary>
internal static class Processes
{
    /// <summary>The prefix of the one line per case a child process prints for its parent.</summary>
    public const string ResultPrefix = "#result\t";

    public static async Task<int> RunAsync(int count, IReadOnlyList<string> childArgs, TextWriter output)
    {
        var self = Environment.GetCommandLineArgs()[0];
        var host = Environment.ProcessPath ?? "dotnet";
        var results = new List<(string Key, double Median, double Ratio, double Cpu, double CpuRatio)>();
        var order = new List<string>();
        for (var p = 1; p <= count; p++)
        {
            await output.WriteLineAsync($"--- process {p} of {count}");
            var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
            if (self.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                start.ArgumentList.Add(self);
            }

            foreach (var arg in childArgs)
            {
                start.ArgumentList.Add(arg);
            }

            start.ArgumentList.Add("--report-to-parent");
            using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith(ResultPrefix, StringComparison.Ordinal))
                {
                    var f = line[ResultPrefix.Length..].Split('\t');
                    var key = $"{f[0]}/{f[1]}";
                    if (!order.Contains(key))
                    {
                        order.Add(key);
                    }

                    results.Add((key, Parse(f[2]), Parse(f[3]), Parse(f[4]), Parse(f[5])));
                }
                else
                {
                    await output.WriteLineAsync(line);
                }
            }

            await child.WaitForExitAsync();
            if (child.ExitCode != 0)
            {
                await output.WriteLineAsync($"process {p} exited with {child.ExitCode}");
                return child.ExitCode;
            }
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync($"across {count} processes: median of the process medians [min-max] spread (max/min)");
        await output.WriteLineAsync($"  {"group/case",-62} {"time per op",-32} {"ratio",-24} {"cpu per op",-32}");
        foreach (var key in order)
        {
            var rows = results.Where(r => r.Key == key).ToList();
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"  {key,-62} {Summary(rows.Select(r => r.Median), ns: true),-32} {Summary(rows.Select(r => r.Ratio), ns: false),-24} {Summary(rows.Select(r => r.Cpu), ns: true),-32}"));
        }

        return 0;
    }

    private static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Summary(IEnumerable<double> values, bool ns)
    {
        var list = values.Where(v => !double.IsNaN(v)).ToList();
        if (list.Count == 0)
        {
            return string.Empty;
        }

        string F(double v) => ns ? Harness.Ns(v) : v.ToString("0.00", CultureInfo.InvariantCulture);
        return $"{F(Harness.Median(list))} [{F(list.Min())}-{F(list.Max())}] {(list.Max() / list.Min()).ToString("0.00", CultureInfo.InvariantCulture)}x";
    }
}
