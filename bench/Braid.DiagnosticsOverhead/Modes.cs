using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using Braid.Diagnostics;
using Braid.Diagnostics.Tracing;
using Braid.Instrumentation;

namespace Braid.DiagnosticsOverhead;

/// <summary>The modes compared: the first is the baseline, the second the same again (the noise floor).</summary>
internal static class Modes
{
    public static IReadOnlyList<Mode> All() =>
    [
        new("none", "nothing listens (the baseline)", () => new Nothing()),
        new("none again", "nothing listens, measured as a mode of its own: its ratio to the baseline is the noise floor", () => new Nothing()),
        new("source", "an in-process EventListener on the Braid event source (keywords 0xF)", () => new BraidSourceListener()),
        new("meter", "a MeterListener on the Braid meter, read every 100 ms", () => new MeterReader()),
        new("default", "source and meter, plus a StarvationMonitor (heartbeat, System.Runtime meter, BlockingDetector: TPL task-wait events)", () => new Default()),
        new("causality", "a TraceRecorder with causality on (TPL task, async-operation and synchronous-work events, recorded)", () => TraceRecorder.Start(new TraceRecorderOptions { Notices = TextWriter.Null })),
        new("activities", "TaskGroupActivities.Enable with an ActivityListener that samples every child", () => new Activities()),
    ];

    private sealed class Nothing : IDisposable
    {
        public void Dispose()
        {
        }
    }

    private sealed class MeterReader : IDisposable
    {
        private readonly MeterListener _meter = new();
        private readonly Timer _timer;

        public MeterReader()
        {
            _meter.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Braid")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meter.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
            _meter.Start();
            _meter.RecordObservableInstruments();
            _timer = new Timer(static state => ((MeterListener)state!).RecordObservableInstruments(), _meter, 100, 100);
        }

        public void Dispose()
        {
            _timer.Dispose();
            _meter.Dispose();
        }
    }

    private sealed class Default : IDisposable
    {
        private readonly BraidSourceListener _source = new();
        private readonly MeterReader _meter = new();
        private readonly StarvationMonitor _monitor = StarvationMonitor.Start();

        public void Dispose()
        {
            _monitor.Dispose();
            _meter.Dispose();
            _source.Dispose();
        }
    }

    private sealed class Activities : IDisposable
    {
        private readonly ActivityListener _listener = new()
        {
            ShouldListenTo = source => source.Name == TaskGroupActivities.SourceName,
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
        };

        private readonly IDisposable _enabled;

        public Activities()
        {
            ActivitySource.AddActivityListener(_listener);
            _enabled = TaskGroupActivities.Enable();
        }

        public void Dispose()
        {
            _enabled.Dispose();
            _listener.Dispose();
        }
    }

    private sealed class BraidSourceListener : EventListener
    {
        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Braid")
            {
                EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0xF);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
        }
    }
}
