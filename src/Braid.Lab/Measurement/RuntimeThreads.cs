using System.Globalization;

namespace Braid.Lab.Measurement;

/// <summary>
/// The CPU time of this process's threads that do no model's work: the runtime's tiered-compilation
/// thread (<c>.NET Tiered Com…</c>, which recompiles hot methods in the background and, measured,
/// used 1.2 s of CPU during a 5 s sequential run) and the lab's own sampler. getrusage counts them
/// with the model; they are read per thread from /proc/self/task/*/stat (utime, stime in clock ticks
/// of 10 ms) and subtracted. Tracked per thread id, so a tiering thread that exits and is recreated
/// keeps what it used up to its last reading.
/// </summary>
internal sealed class RuntimeThreads
{
    /// <summary>USER_HZ, fixed at 100 by the Linux ABI: /proc reports CPU time in 10 ms ticks.</summary>
    private const double MsPerTick = 10;

    /// <summary>The threads' names as the kernel keeps them (15 characters at most).</summary>
    public static readonly IReadOnlyList<string> DefaultNames = [".NET Tiered Com", "braid-lab-sampl"];

    private readonly IReadOnlyList<string> _names;

    private readonly Dictionary<int, (long User, long System)> _latest = [];
    private readonly Dictionary<int, (long User, long System)> _baseline = [];

    public RuntimeThreads()
        : this(DefaultNames)
    {
    }

    /// <summary>Tracks the threads whose names start with one of <paramref name="names"/>.</summary>
    public RuntimeThreads(IReadOnlyList<string> names) => _names = names;

    /// <summary>Reads the current figures of every matching thread.</summary>
    public void Read()
    {
        if (!ProcessStats.IsLinux)
        {
            return;
        }

        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories("/proc/self/task");
        }
        catch (IOException)
        {
            return;
        }

        foreach (var task in tasks)
        {
            if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var name = stat[(open + 1)..close];
                if (!_names.Any(n => name.StartsWith(n, StringComparison.Ordinal)))
                {
                    continue;
                }

                // Fields after the name: state is field 3, utime field 14 and stime field 15 (proc(5)).
                var fields = stat[(close + 2)..].Split(' ');
                var user = long.Parse(fields[11], CultureInfo.InvariantCulture);
                var system = long.Parse(fields[12], CultureInfo.InvariantCulture);
                _latest[tid] = (user, system);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // The thread ended while we looked: its last reading stands.
            }
        }
    }

    /// <summary>Starts a window: what the threads used so far is not counted.</summary>
    public void Reset()
    {
        Read();
        _baseline.Clear();
        foreach (var (tid, usage) in _latest)
        {
            _baseline[tid] = usage;
        }
    }

    /// <summary>The user and system CPU time these threads used since <see cref="Reset"/>, in milliseconds.</summary>
    public (double UserMs, double SystemMs) Used()
    {
        Read();
        long user = 0, system = 0;
        foreach (var (tid, usage) in _latest)
        {
            var start = _baseline.GetValueOrDefault(tid);
            user += usage.User - start.User;
            system += usage.System - start.System;
        }

        return (user * MsPerTick, system * MsPerTick);
    }
}
