using System.Diagnostics;

namespace Braid.Tracing;

/// <summary>
/// Where a capture's time went: each phase's wall-clock time and braid's processor time since the previous
/// mark (the benchmark prints them; on a loaded machine the processor time is the steadier figure).
/// </summary>
internal sealed class CaptureTimings
{
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly List<(string Phase, TimeSpan Time, TimeSpan Cpu)> _phases = [];
    private TimeSpan _last;
    private TimeSpan _lastCpu = Cpu();

    public TimeSpan Total => _total.Elapsed;

    public IReadOnlyList<(string Phase, TimeSpan Time, TimeSpan Cpu)> Phases => _phases;

    public void Mark(string phase)
    {
        var now = _total.Elapsed;
        var cpu = Cpu();
        _phases.Add((phase, now - _last, cpu - _lastCpu));
        _last = now;
        _lastCpu = cpu;
    }

    private static TimeSpan Cpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
