using System.Globalization;
using System.Runtime.InteropServices;

namespace Braid.Lab.Measurement;

/// <summary>A snapshot of this process's resource usage: getrusage(RUSAGE_SELF) plus the GC's allocation counter.</summary>
internal readonly record struct UsageSnapshot(double UserCpuMs, double SystemCpuMs, long VoluntarySwitches, long InvoluntarySwitches, long MaxRssBytes, long AllocatedBytes)
{
    public UsageSnapshot Minus(UsageSnapshot earlier) => new(
        UserCpuMs - earlier.UserCpuMs,
        SystemCpuMs - earlier.SystemCpuMs,
        VoluntarySwitches - earlier.VoluntarySwitches,
        InvoluntarySwitches - earlier.InvoluntarySwitches,
        MaxRssBytes,
        AllocatedBytes - earlier.AllocatedBytes);
}

/// <summary>
/// Reads the kernel's figures for this process. getrusage(RUSAGE_SELF) sums CPU time and context
/// switches over every thread of the process, including threads that have already exited (which
/// /proc/self/task/*/status would miss); /proc/self/status gives the resident set and thread count.
/// </summary>
internal static partial class ProcessStats
{
    private const int RusageSelf = 0;

    public static bool IsLinux { get; } = OperatingSystem.IsLinux();

    public static UsageSnapshot Take()
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        if (IsLinux && getrusage(RusageSelf, out var usage) == 0)
        {
            return new UsageSnapshot(
                usage.UserSeconds * 1000.0 + usage.UserMicroseconds / 1000.0,
                usage.SystemSeconds * 1000.0 + usage.SystemMicroseconds / 1000.0,
                usage.VoluntarySwitches,
                usage.InvoluntarySwitches,
                usage.MaxRssKilobytes * 1024,
                allocated);
        }

        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new UsageSnapshot(self.UserProcessorTime.TotalMilliseconds, self.PrivilegedProcessorTime.TotalMilliseconds, 0, 0, self.PeakWorkingSet64, allocated);
    }

    /// <summary>Resets the kernel's peak-RSS mark (VmHWM) to the current RSS, so that a peak can be measured per model. Linux 4.0+.</summary>
    public static bool TryResetPeakRss()
    {
        if (!IsLinux)
        {
            return false;
        }

        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads VmRSS, VmHWM (bytes) and Threads from /proc/self/status; zeros where unavailable.</summary>
    public static (long Rss, long Hwm, int Threads) ReadStatus()
    {
        if (!IsLinux)
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            return (self.WorkingSet64, self.PeakWorkingSet64, self.Threads.Count);
        }

        long rss = 0, hwm = 0;
        var threads = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = (int)Kilobytes(line);
            }
        }

        return (rss, hwm, threads);
    }

    private static long Kilobytes(string line)
    {
        var span = line.AsSpan(line.IndexOf(':') + 1).Trim();
        var space = span.IndexOf(' ');
        if (space >= 0)
        {
            span = span[..space];
        }

        return long.TryParse(span, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRssKilobytes;
        public long SharedMemory;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, out RUsage usage);
}
