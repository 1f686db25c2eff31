using System.Globalization;
using Braid.Lab;

namespace Braid.Cli.Commands;

/// <summary>
/// The lab's progress without a terminal to animate: a line when a model (or repeat) starts, when it
/// finishes, and at most one a second in between when the count has moved, so a log never ends on a
/// model's "0/200" nor repeats it.
/// </summary>
internal sealed class ProgressLines(int repeats)
{
    private readonly Lock _lock = new(); // models report from their own threads
    private (string Model, int Repeat, long At, bool Finished, int Done) _last = ("", 0, 0, false, 0);

    /// <summary>The line to print for <paramref name="progress"/> reported at <paramref name="nowMs"/>, or null for none.</summary>
    public string? Next(LabProgress progress, long nowMs)
    {
        lock (_lock)
        {
            return NextLocked(progress, nowMs);
        }
    }

    private string? NextLocked(LabProgress progress, long nowMs)
    {
        var started = progress.Model != _last.Model || progress.Repeat != _last.Repeat;
        var finished = progress.Done >= progress.Total;
        if (!started && (_last.Finished || (!finished && (nowMs - _last.At < 1000 || progress.Done == _last.Done))))
        {
            return null;
        }

        _last = (progress.Model, progress.Repeat, nowMs, finished, progress.Done);
        var name = repeats > 1 ? string.Create(CultureInfo.InvariantCulture, $"{progress.Model} ({progress.Repeat})") : progress.Model;
        return string.Create(CultureInfo.InvariantCulture, $"braid lab: {name} {progress.Done}/{progress.Total}{(finished ? " done" : "")}");
    }
}
