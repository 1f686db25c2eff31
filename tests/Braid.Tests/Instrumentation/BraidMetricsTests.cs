using System.Diagnostics.Metrics;
using Braid.Coordination;
using Braid.Instrumentation;
using Braid.Structured;

namespace Braid.Tests.Instrumentation;

// docs/design.md rule 124: the Braid meter counts from its first observation. Its counts are process-wide.
[Collection(nameof(InstrumentationCollection))]
public sealed class BraidMetricsTests
{
    private const string Started = "braid.task_group.children.started";
    private const string Finished = "braid.task_group.children.finished";
    private const string Queued = "braid.waiters.queued";
    private const string Released = "braid.waiters.released";

    [Fact]
    public async Task A_meter_listener_reads_exact_counts_of_a_known_workload_and_counting_stops_when_it_leaves()
    {
        using var collector = new Collector();
        var before = collector.Observe();
        Assert.True(BraidInstrumentation.IsEnabled);

        await RunChildren(10);
        var semaphore = new AsyncSemaphore(0);
        var waits = Enumerable.Range(0, 3).Select(_ => semaphore.WaitAsync().AsTask()).ToArray();
        semaphore.Release(3);
        await Task.WhenAll(waits);

        var after = collector.Observe();
        Assert.Equal(10, Delta(before, after, Started));
        Assert.Equal(10, Delta(before, after, Finished));
        Assert.Equal(3, Delta(before, after, Queued, nameof(AsyncSemaphore)));
        Assert.Equal(3, Delta(before, after, Released, nameof(AsyncSemaphore)));
        Assert.Equal(0, Delta(before, after, "braid.waiters.cancelled", nameof(AsyncSemaphore)));

        // Nobody observes any more: the next event turns the flag off, and nothing is counted after it.
        collector.Dispose();
        await RunChildren(1);
        Assert.False(BraidInstrumentation.IsEnabled);
        await RunChildren(5);

        using var next = new Collector();
        var resumed = next.Observe();
        Assert.Equal(0, Delta(after, resumed, Started));
        await RunChildren(2);
        Assert.Equal(2, Delta(resumed, next.Observe(), Started));
        next.Dispose();
        await RunChildren(1);
        Assert.False(BraidInstrumentation.IsEnabled);
    }

    [Fact]
    public void The_meter_publishes_every_counter_dotnet_counters_lists()
    {
        using var collector = new Collector();
        string[] expected =
        [
            "braid.cancel_scope.cancelled", "braid.task_group.started", "braid.task_group.finished", Started, Finished, "braid.loop.blocking_waits", "braid.loop.slow_steps",
            "braid.loop.steps", "braid.loop.unfinished_tasks", "braid.tasks.unobserved_faults", "braid.waiters.cancelled",
            Queued, Released,
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), collector.Instruments.Order(StringComparer.Ordinal));
    }

    private static Task RunChildren(int count) => TaskGroup.RunAsync(g =>
    {
        for (var i = 0; i < count; i++)
        {
            g.Start(_ => Task.CompletedTask, $"child {i}");
        }

        return Task.CompletedTask;
    });

    private static long Delta(Dictionary<string, long> before, Dictionary<string, long> after, string name, string? primitive = null)
    {
        var key = primitive is null ? name : $"{name}/{primitive}";
        return after.GetValueOrDefault(key) - before.GetValueOrDefault(key);
    }

    private sealed class Collector : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _values = [];

        public Collector()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Braid")
                {
                    Instruments.Add(instrument.Name);
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var key = instrument.Name;
                foreach (var tag in tags)
                {
                    if (tag.Key == "braid.primitive")
                    {
                        key += "/" + tag.Value;
                    }
                }

                _values[key] = value;
            });
            _listener.Start();
        }

        public List<string> Instruments { get; } = [];

        /// <summary>What a collection cycle of dotnet-counters does: calls every observable callback.</summary>
        public Dictionary<string, long> Observe()
        {
            _listener.RecordObservableInstruments();
            return new(_values);
        }

        public void Dispose() => _listener.Dispose();
    }
}
