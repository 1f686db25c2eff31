using System.Diagnostics;

namespace Braid.Lab.Measurement;

/// <summary>
/// Samples this process's RSS and thread count on a dedicated thread every few milliseconds, for the
/// whole lab run; a model opens a window to get the peaks seen while it ran. The sampler's own cost
/// (time spent reading /proc) is counted and reported as harness overhead.
/// </summary>
internal sealed class Sampler : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(5);

    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private readonly object _gate = new();
    private long _peakRss;
    private int _peakThreads;
    private long _samples;
    private long _sampleTicks;
    private readonly RuntimeThreads _runtime = new();

    public Sampler()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "braid-lab-sampler" };
        _thread.Start();
    }

    public long Samples => Interlocked.Read(ref _samples);

    public double SamplingMs => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _sampleTicks)).TotalMilliseconds;

    /// <summary>Starts a new window: the peaks are reset to the current values.</summary>
    public void Reset()
    {
        var (rss, _, threads) = ProcessStats.ReadStatus();
        lock (_gate)
        {
            _peakRss = rss;
            _peakThreads = threads;
            _runtime.Reset();
        }
    }

    /// <summary>The CPU time the runtime's tiered-compilation thread and this sampler used since <see cref="Reset"/> (see <see cref="RuntimeThreads"/>).</summary>
    public (double UserMs, double SystemMs) RuntimeCpu()
    {
        lock (_gate)
        {
            return _runtime.Used();
        }
    }

    /// <summary>The peaks since the last <see cref="Reset"/>, including one final sample now.</summary>
    public (long PeakRss, int PeakThreads) Peaks()
    {
        Sample();
        lock (_gate)
        {
            return (_peakRss, _peakThreads);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Loop()
    {
        while (!_stop.Wait(Period))
        {
            Sample();
        }
    }

    private void Sample()
    {
        var start = Stopwatch.GetTimestamp();
        var (rss, _, threads) = ProcessStats.ReadStatus();
        lock (_gate)
        {
            _peakRss = Math.Max(_peakRss, rss);
            _peakThreads = Math.Max(_peakThreads, threads);

            // Every 10th sample (50 ms): often enough that a tiering thread exiting loses little.
            if (Interlocked.Read(ref _samples) % 10 == 0)
            {
                _runtime.Read();
            }
        }

        Interlocked.Increment(ref _samples);
        Interlocked.Add(ref _sampleTicks, Stopwatch.GetTimestamp() - start);
    }
}
