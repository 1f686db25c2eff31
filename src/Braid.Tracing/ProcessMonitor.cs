using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Braid.Tracing;

/// <summary>
/// <c>braid top</c>'s library: a running process's async vital signs once a second, from an EventPipe
/// session (the <c>System.Runtime</c> counters, wait-handle events and Braid's event source).
/// </summary>
public static class ProcessMonitor
{
    /// <summary>
    /// Watches <paramref name="processId"/> and calls <paramref name="onSample"/> once a second until
    /// <paramref name="cancellationToken"/> is cancelled or the process exits; then returns normally.
    /// </summary>
    /// <param name="processId">The process.</param>
    /// <param name="onSample">Called on the session's thread with each second's figures.</param>
    /// <param name="cancellationToken">Stops watching (Ctrl-C).</param>
    /// <returns>A task that completes when watching stopped.</returns>
    /// <exception cref="TracingException">No such process, or it has no .NET diagnostic port.</exception>
    public static async Task WatchAsync(int processId, Action<TopSample> onSample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onSample);
        Process process;
        try
        {
            process = Process.GetProcessById(processId);
        }
        catch (ArgumentException)
        {
            throw new TracingException($"no process with id {processId} (it does not exist or has exited)");
        }

        using (process)
        {
            EventPipeSession session;
            try
            {
                session = await new DiagnosticsClient(processId).StartEventPipeSessionAsync(
                    [
                        new EventPipeProvider("System.Runtime", EventLevel.Informational, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
                        new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, 0x40000000000), // WaitHandle
                        new EventPipeProvider("Braid", EventLevel.Informational, 0x3), // Structured, Waiters
                    ],
                    requestRundown: false,
                    circularBufferMB: 16,
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is ServerNotAvailableException or UnauthorizedAccessException or DiagnosticsClientException or IOException or TimeoutException)
            {
                throw new TracingException($"process {processId} ({process.ProcessName}) has no .NET diagnostic port it lets braid use: it is not a .NET process, runs as another user, or disabled diagnostics", error);
            }

            using (session)
            {
                var sampler = new Sampler(onSample);
                var processing = Task.Run(
                    () =>
                    {
                        using var source = new EventPipeEventSource(session.EventStream);
                        source.Dynamic.All += sampler.Handle;
                        source.Clr.All += sampler.Handle;
                        source.UnhandledEvents += sampler.Handle;
                        source.Process();
                    },
                    CancellationToken.None);
                try
                {
                    await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }

                try
                {
                    await session.StopAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception error) when (error is ServerNotAvailableException or IOException or ObjectDisposedException or DiagnosticsClientException)
                {
                }

                await processing.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Collects one interval's counters; a counter seen twice starts the next interval and emits the last.</summary>
    private sealed class Sampler(Action<TopSample> onSample)
    {
        private readonly Dictionary<string, double> _counters = new(StringComparer.Ordinal);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _waits;
        private long _started;
        private long _finished;
        private long _queued;
        private long _startedBefore;

        public void Handle(TraceEvent e)
        {
            switch (e.ProviderName)
            {
                case "System.Runtime" when e.EventName == "EventCounters":
                    Counter(e);
                    break;
                case "Microsoft-Windows-DotNETRuntime" when (int)e.ID == 302:
                    _waits++;
                    break;
                case "Braid":
                    switch (e.EventName)
                    {
                        case "ChildStarted":
                            _started++;
                            break;
                        case "ChildFinished":
                            _finished++;
                            break;
                        case "WaiterQueued":
                            _queued++;
                            break;
                    }

                    break;
            }
        }

        private void Counter(TraceEvent e)
        {
            if (e.PayloadValue(0) is not IDictionary<string, object> outer || !outer.TryGetValue("Payload", out var inner) || inner is not IDictionary<string, object> fields
                || !fields.TryGetValue("Name", out var named) || named is not string name)
            {
                return;
            }

            if (_counters.ContainsKey(name))
            {
                Emit();
            }

            _counters[name] = fields.TryGetValue("Mean", out var mean) ? Convert.ToDouble(mean, CultureInfo.InvariantCulture)
                : fields.TryGetValue("Increment", out var increment) ? Convert.ToDouble(increment, CultureInfo.InvariantCulture) : 0;
        }

        private void Emit()
        {
            double Get(string name) => _counters.TryGetValue(name, out var value) ? value : 0;
            onSample(new TopSample(
                _clock.Elapsed,
                (long)Get("threadpool-thread-count"),
                (long)Get("threadpool-queue-length"),
                Get("threadpool-completed-items-count"),
                Get("monitor-lock-contention-count"),
                Get("gc-heap-size"),
                Get("alloc-rate") / (1024 * 1024),
                _waits,
                _started - _startedBefore,
                _started - _finished,
                _queued));
            _startedBefore = _started;
            _waits = 0;
            _queued = 0;
            _counters.Clear();
        }
    }
}
