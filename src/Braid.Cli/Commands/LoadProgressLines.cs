using System.Globalization;
using Braid.Load;

namespace Braid.Cli.Commands;

/// <summary>
/// <c>braid load</c>'s progress on stderr: on a terminal one line rewritten in place; redirected, a plain
/// line per report (about one a second), so a log reads as a table.
/// </summary>
internal sealed class LoadProgressLines(TextWriter stderr, bool live)
{
    private readonly Lock _lock = new();
    private int _width;

    public void Report(LoadProgress p)
    {
        var line = Line(p);
        lock (_lock)
        {
            if (live)
            {
                stderr.Write("\r" + line.PadRight(_width));
                _width = line.Length;
            }
            else
            {
                stderr.WriteLine(line);
            }

            stderr.Flush();
        }
    }

    /// <summary>Ends the live line, so what follows starts on a line of its own.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (live && _width > 0)
            {
                stderr.Write("\r" + new string(' ', _width) + "\r");
                _width = 0;
            }
        }
    }

    internal static string Line(LoadProgress p) => p.WarmingUp
        ? string.Create(CultureInfo.InvariantCulture, $"braid load: {p.Elapsed.TotalSeconds,6:0.0} s warming up, {p.PerSecond:0.#}/s, {p.InFlight} in flight")
        : string.Create(CultureInfo.InvariantCulture, $"braid load: {p.Elapsed.TotalSeconds,6:0.0} s {p.Completed} done, {p.PerSecond:0.#}/s, {p.Errors} failed, {p.Dropped} dropped, {p.InFlight} in flight");
}
