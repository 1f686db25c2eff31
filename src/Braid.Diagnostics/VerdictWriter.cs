using System.Globalization;
using System.Text;

namespace Braid.Diagnostics;

/// <summary>Turns a monitor's figures into one sentence: the verdict first, the evidence after, the blocked call sites last.</summary>
internal static class VerdictWriter
{
    private const double MentionedShare = 0.05;
    private const int MentionedSites = 3;

    public static string Write(
        bool starved,
        TimeSpan starvedFor,
        TimeSpan worstLag,
        TimeSpan threshold,
        TimeSpan observed,
        long maxQueue,
        long minThreads,
        long maxThreads,
        int addedForStarvation,
        int addedForBlocking,
        IReadOnlyList<BlockingCallSite> sites)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        if (starved)
        {
            text.Append(c, $"thread pool starved for {Format(starvedFor)} (worst heartbeat {Format(worstLag)} late; queue up to {maxQueue}; threads {minThreads} → {maxThreads}");
            if (addedForStarvation + addedForBlocking > 0)
            {
                text.Append(c, $"; the runtime added {addedForStarvation} for starvation, {addedForBlocking} for blocked tasks");
            }

            text.Append(')');
        }
        else
        {
            text.Append(c, $"thread pool not starved: worst heartbeat {Format(worstLag)} late (threshold {Format(threshold)}) over {Format(observed)}");
        }

        var mentioned = sites.Where(s => s.Share >= MentionedShare).Take(MentionedSites).ToList();
        for (var i = 0; i < mentioned.Count; i++)
        {
            var site = mentioned[i];
            text.Append(i == 0 ? "; " : ", ");
            text.Append(c, $"{site.Share * 100:F0}% of blocked time in {Describe(site)}");
        }

        if (starved && mentioned.Count == 0)
        {
            text.Append("; no blocking call was seen: pool threads are sleeping, in blocking I/O or computing, which raise no event in process");
        }

        return text.ToString();
    }

    public static string Format(TimeSpan span) => span < TimeSpan.FromSeconds(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:F0} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:F1} s");

    private static string Describe(BlockingCallSite site) => site.Kind switch
    {
        BlockingKind.SyncOverAsync => site.Name,
        BlockingKind.MonitorContention => $"contention on {site.Name}",
        _ => $"{site.Name} waits",
    };
}
