using System.Globalization;

namespace Braid.Interleaved;

/// <summary>
/// Voluntary context switches of every thread of this process, from <c>/proc/self/task/*/status</c>
/// (Linux; 0 elsewhere). A thread that parks (a futex wait: an idle pool thread, a blocked reader)
/// switches voluntarily, so their count per operation shows how often work waited for a wake-up —
/// the cost that spinning hides and parking pays; a thread the OS preempts (more runnable threads than
/// cores: spinning pool threads, other processes) switches involuntarily. A thread that exits between two reads takes its
/// count with it; the pool's threads retire only after seconds of idleness.
/// </summary>
internal static class ContextSwitches
{
    private const string VoluntaryKey = "voluntary_ctxt_switches:";
    private const string InvoluntaryKey = "nonvoluntary_ctxt_switches:";

    /// <summary>Voluntary and involuntary (preempted by the OS) switches, summed over the process's threads.</summary>
    public static (long Voluntary, long Involuntary) Read()
    {
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks))
        {
            return (0, 0);
        }

        long voluntary = 0, involuntary = 0;
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith(VoluntaryKey, StringComparison.Ordinal))
                    {
                        voluntary += long.Parse(line.AsSpan(VoluntaryKey.Length).Trim(), CultureInfo.InvariantCulture);
                    }
                    else if (line.StartsWith(InvoluntaryKey, StringComparison.Ordinal))
                    {
                        involuntary += long.Parse(line.AsSpan(InvoluntaryKey.Length).Trim(), CultureInfo.InvariantCulture);
                        break;
                    }
                }
            }
            catch (IOException)
            {
                // The thread exited meanwhile.
            }
        }

        return (voluntary, involuntary);
    }
}
