using System.Globalization;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Braid.Structured;
using HdrHistogram;

namespace Braid.Load.Internal;

/// <summary>
/// The SSE mode (docs/design.md rule 144): N clients hold a stream open for the run, parsed with
/// <see cref="SseParser"/>; each event's lag is measured from the send time in its data when it has
/// one, and from the first client that received the same id (the fan-out spread).
/// </summary>
internal sealed class SseLoad : IDisposable
{
    private const int RememberedIds = 4096;

    private readonly LoadOptions _options;
    private readonly TimeProvider _clock;
    private readonly HttpClient _client;
    private readonly Measurements _measurements;
    private readonly long _start;
    private readonly long _measureStart;
    private readonly LongConcurrentHistogram _lag = new(1, Measurements.HighestUs, 3);
    private readonly LongConcurrentHistogram _spread = new(1, Measurements.HighestUs, 3);
    private readonly Lock _idsLock = new();
    private readonly Dictionary<string, long> _firstSeen = new(StringComparer.Ordinal);
    private readonly Queue<string> _idOrder = new();
    private int _connected;
    private int _opened;
    private int _peak;
    private long _disconnects;
    private long _events;
    private long _timestamped;
    private TimeSpan _cpuAtMeasureStart;

    public SseLoad(LoadOptions options)
    {
        _options = options;
        _clock = options.TimeProvider;
        _client = Clients.Create(options.SseClients!.Value, options.Timeout, requestTimeout: null);
        _start = _clock.GetTimestamp();
        _measureStart = _start + (long)(options.Warmup.TotalSeconds * _clock.TimestampFrequency);
        var slice = (long)(options.Duration!.Value.TotalSeconds * _clock.TimestampFrequency) / Timeline.MaxSlices;
        _measurements = new Measurements(_clock, _measureStart, Math.Max(slice, _clock.TimestampFrequency / 100));
    }

    public void Dispose() => _client.Dispose();

    public async Task<LoadResult> RunAsync(Action<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        var startedAt = _clock.GetUtcNow();
        _cpuAtMeasureStart = Environment.CpuUsage.TotalTime;
        var cancelled = false;
        try
        {
            await TaskGroup.RunAsync(
                async group =>
                {
                    for (var i = 0; i < _options.SseClients!.Value; i++)
                    {
                        group.Start(ClientAsync, "sse client");
                    }

                    if (progress is not null)
                    {
                        group.Start(token => Reporter.RunAsync(_options, _start, _measureStart, _measurements, _ => Interlocked.Read(ref _events), p => progress(p with { InFlight = Volatile.Read(ref _connected) }), token), "progress");
                    }

                    if (_options.Warmup > TimeSpan.Zero)
                    {
                        await Task.Delay(_options.Warmup, _clock, group.CancellationToken).ConfigureAwait(false);
                        _cpuAtMeasureStart = Environment.CpuUsage.TotalTime;
                    }

                    await Task.Delay(_options.Duration!.Value, _clock, group.CancellationToken).ConfigureAwait(false);
                    group.Cancel("the run is over");
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
        }

        // The window ends at the duration; closing the streams afterwards is not measured time.
        var end = Math.Min(_clock.GetTimestamp(), _measureStart + (long)(_options.Duration!.Value.TotalSeconds * _clock.TimestampFrequency));
        var cpuMs = (Environment.CpuUsage.TotalTime - _cpuAtMeasureStart).TotalMilliseconds;
        var wallS = Math.Max(0, end - _measureStart) / (double)_clock.TimestampFrequency;
        var events = Interlocked.Read(ref _events);
        var clients = _options.SseClients!.Value;
        var sse = new SseResult(
            clients,
            Volatile.Read(ref _opened),
            Volatile.Read(ref _peak),
            Interlocked.Read(ref _disconnects),
            events,
            wallS > 0 ? Math.Round(events / wallS, 2) : 0,
            Interlocked.Read(ref _timestamped),
            Measurements.Percentiles(_lag),
            Measurements.Percentiles(_spread));
        return new LoadResult
        {
            Target = _options.Target.ToString(),
            Model = "sse",
            Connections = clients,
            StartedAt = startedAt,
            WarmupS = _options.Warmup.TotalSeconds,
            DurationS = Math.Round(wallS, 4),
            Cancelled = cancelled,
            Completed = events,
            Ok = events,
            Failed = _measurements.Failed,
            ThroughputPerSecond = sse.EventsPerSecond,
            Errors = _measurements.Errors,
            Timeline = _measurements.Timeline.Snapshot(),
            Generator = Health.Judge(cpuMs, wallS, events, "event", 0, 0, null),
            Sse = sse,
        };
    }

    private async Task ClientAsync(CancellationToken token)
    {
        var connected = false;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _options.Target);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            if (ErrorKinds.OfStatus(response.StatusCode) is { } status)
            {
                _measurements.Fail("connect: " + status);
                return;
            }

            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                _measurements.Fail("connect: not an event stream");
                return;
            }

            connected = true;
            Interlocked.Increment(ref _opened);
            var now = Interlocked.Increment(ref _connected);
            int peak;
            while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
            {
            }

            var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await foreach (var item in SseParser.Create(stream).EnumerateAsync(token).ConfigureAwait(false))
                {
                    Received(item, _clock.GetTimestamp(), _clock.GetUtcNow());
                }
            }

            // The server ended the stream before the run did.
            Interlocked.Increment(ref _disconnects);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is over (or was cancelled): a clean end.
        }
#pragma warning disable CA1031 // A client that fails is a result (its kind is counted), not a crash.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            if (connected)
            {
                Interlocked.Increment(ref _disconnects);
                _measurements.Fail("stream: " + ErrorKinds.Of(exception));
            }
            else
            {
                _measurements.Fail("connect: " + ErrorKinds.Of(exception));
            }
        }
        finally
        {
            if (connected)
            {
                Interlocked.Decrement(ref _connected);
            }
        }
    }

    private void Received(SseItem<string> item, long timestamp, DateTimeOffset wall)
    {
        var spread = Spread(item.EventId, timestamp);
        if (timestamp < _measureStart)
        {
            return;
        }

        Interlocked.Increment(ref _events);
        long? lagUs = null;
        if (SentAt(item.Data) is { } sent)
        {
            Interlocked.Increment(ref _timestamped);
            lagUs = Math.Clamp((long)((wall - sent).TotalMicroseconds), 1, Measurements.HighestUs);
            _lag.RecordValue(lagUs.Value);
        }

        if (spread is { } s)
        {
            _spread.RecordValue(Math.Clamp(s, 1, Measurements.HighestUs));
        }

        _measurements.Timeline.Record(timestamp, lagUs ?? spread ?? 1, failed: false);
    }

    // Receive time minus the first receive of the same id by any client, in microseconds; null without an id.
    private long? Spread(string? id, long timestamp)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        long first;
        lock (_idsLock)
        {
            if (!_firstSeen.TryGetValue(id, out first))
            {
                first = timestamp;
                _firstSeen[id] = timestamp;
                _idOrder.Enqueue(id);
                if (_idOrder.Count > RememberedIds)
                {
                    _firstSeen.Remove(_idOrder.Dequeue());
                }
            }
            else if (timestamp < first)
            {
                _firstSeen[id] = timestamp;
            }
        }

        return _measurements.ToUs(Math.Max(0, timestamp - first));
    }

    /// <summary>The send time an event's data carries: an ISO 8601 date, or a JSON object's <c>time</c>, <c>timestamp</c> or <c>sentAt</c> (a date, or Unix milliseconds).</summary>
    internal static DateTimeOffset? SentAt(string data)
    {
        var text = data.AsSpan().Trim();
        if (text.IsEmpty)
        {
            return null;
        }

        if (text[0] != '{')
        {
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when) && text.Length >= 10 ? when : null;
        }

        try
        {
            using var json = JsonDocument.Parse(data);
            foreach (var name in (ReadOnlySpan<string>)["time", "timestamp", "sentAt"])
            {
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(name, out var value))
                {
                    if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var date))
                    {
                        return date;
                    }

                    if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms))
                    {
                        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON after all: no send time.
        }

        return null;
    }
}
