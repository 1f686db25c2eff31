using System.Diagnostics.Metrics;

namespace Braid.Diagnostics;

/// <summary>
/// Reads the thread pool's queue length and thread count from the runtime's <c>System.Runtime</c> meter
/// (.NET 9 and later), the figures <c>dotnet-counters</c> shows, or from <see cref="ThreadPool"/> when
/// that meter's instruments are not published.
/// </summary>
internal sealed class ThreadPoolGauges : IDisposable
{
    private const string QueueLength = "dotnet.thread_pool.queue.length";
    private const string ThreadCount = "dotnet.thread_pool.thread.count";

    private readonly MeterListener _listener = new();
    private long _queueLength = -1;
    private long _threadCount = -1;

    public ThreadPoolGauges()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "System.Runtime" && instrument.Name is QueueLength or ThreadCount)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == QueueLength)
            {
                Volatile.Write(ref _queueLength, value);
            }
            else
            {
                Volatile.Write(ref _threadCount, value);
            }
        });
        _listener.Start();
    }

    /// <summary>Samples both figures now.</summary>
    public (long QueueLength, long ThreadCount) Read()
    {
        Volatile.Write(ref _queueLength, -1);
        Volatile.Write(ref _threadCount, -1);
        _listener.RecordObservableInstruments();
        var queue = Volatile.Read(ref _queueLength);
        var threads = Volatile.Read(ref _threadCount);
        return (queue >= 0 ? queue : ThreadPool.PendingWorkItemCount, threads >= 0 ? threads : ThreadPool.ThreadCount);
    }

    public void Dispose() => _listener.Dispose();
}
