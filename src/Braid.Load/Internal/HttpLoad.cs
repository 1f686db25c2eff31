using System.Net;
using System.Net.Http;
using System.Threading.Channels;
using Braid.Loop;
using Braid.Structured;

namespace Braid.Load.Internal;

/// <summary>
/// The open and closed models (docs/design.md rules 140-141). One <see cref="TaskGroup"/> holds the
/// connections' workers (and, in the open model, the scheduler); another around it holds the
/// progress reporter, cancelled once the workers are done.
/// </summary>
internal sealed class HttpLoad : IDisposable
{
    private readonly LoadOptions _options;
    private readonly TimeProvider _clock;
    private readonly HttpClient _client;
    private readonly Measurements _measurements;
    private readonly long _start;
    private readonly long _measureStart;
    private readonly long _measureEnd;
    private readonly long _lateTicks;
    private long _claimed;
    private long _pending;
    private long _abandoned;
    private long _scheduled;
    private TimeSpan _cpuAtMeasureStart;

    public HttpLoad(LoadOptions options)
    {
        _options = options;
        _clock = options.TimeProvider;
        _client = Clients.Create(options.Connections, options.Timeout, options.Timeout);
        _start = _clock.GetTimestamp();
        _measureStart = _start + Ticks(options.Warmup);
        _measureEnd = options.Duration is { } d ? _measureStart + Ticks(d) : long.MaxValue;
        _lateTicks = Ticks(Health.LateTolerance);
        var slice = options.Duration is { } duration ? Ticks(duration) / Timeline.MaxSlices : _clock.TimestampFrequency / 10;
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
                async outer =>
                {
                    if (progress is not null)
                    {
                        outer.Start(token => Reporter.RunAsync(_options, _start, _measureStart, _measurements, warming => warming ? _measurements.WarmupSent : _measurements.Completed, progress, token), "progress");
                    }

                    if (_options.Warmup > TimeSpan.Zero)
                    {
                        outer.Start(WarmupEndAsync, "warm-up end");
                    }

                    await TaskGroup.RunAsync(LoadAsync, outer.CancellationToken).ConfigureAwait(false);
                    outer.Cancel("the load is over");
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
        }

        var end = _clock.GetTimestamp();
        var cpuMs = (Environment.CpuUsage.TotalTime - _cpuAtMeasureStart).TotalMilliseconds;
        var wallS = Math.Max(0, end - _measureStart) / (double)_clock.TimestampFrequency;
        var open = _options.Model == LoadModel.Open;
        var startLag = open ? Measurements.Percentiles(_measurements.StartLag) : null;
        return new LoadResult
        {
            Target = _options.Target.ToString(),
            Model = open ? "open" : "closed",
            Rate = _options.Rate,
            Connections = _options.Connections,
            StartedAt = startedAt,
            WarmupS = _options.Warmup.TotalSeconds,
            DurationS = Math.Round(wallS, 4),
            Cancelled = cancelled,
            WarmupRequests = _measurements.WarmupSent,
            Sent = _measurements.Sent,
            Completed = _measurements.Completed,
            Ok = _measurements.Ok,
            Failed = _measurements.Failed,
            Dropped = _measurements.Dropped,
            Abandoned = Interlocked.Read(ref _abandoned),
            ThroughputPerSecond = wallS > 0 ? Math.Round(_measurements.Completed / wallS, 2) : 0,
            Latency = Measurements.Percentiles(_measurements.Corrected),
            UncorrectedLatency = open ? Measurements.Percentiles(_measurements.Uncorrected) : null,
            Errors = _measurements.Errors,
            Timeline = _measurements.Timeline.Snapshot(),
            Generator = Health.Judge(cpuMs, wallS, _measurements.Completed, "request", _measurements.Late, Interlocked.Read(ref _scheduled), startLag),
        };
    }

    private async Task WarmupEndAsync(CancellationToken token)
    {
        await Task.Delay(_options.Warmup, _clock, token).ConfigureAwait(false);
        _cpuAtMeasureStart = Environment.CpuUsage.TotalTime;
    }

    private Task LoadAsync(TaskGroup group)
    {
        if (_options.Model == LoadModel.Closed)
        {
            for (var i = 0; i < _options.Connections; i++)
            {
                group.Start(ClosedClientAsync, "connection");
            }

            return Task.CompletedTask;
        }

        var sends = Channel.CreateUnbounded<Send>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = false });
        for (var i = 0; i < _options.Connections; i++)
        {
            group.Start(token => OpenConnectionAsync(sends.Reader, token), "connection");
        }

        group.Start(token => ScheduleAsync(sends.Writer, token), "scheduler");
        return Task.CompletedTask;
    }

    /// <summary>
    /// Open model: hands send <c>i</c> over at <c>start + i / rate</c> (its intended time), whatever the
    /// server does. A send whose turn comes while every connection is busy waits in the backlog; one more
    /// than the backlog holds is dropped. How late the scheduler itself is, is the start lag.
    /// </summary>
    /// <remarks>
    /// On the system clock the scheduler waits on a thread of its own (<see cref="ToThread"/>): the
    /// clock's timers complete on the thread pool, where under load they queue behind the very
    /// completions being measured and every send started late (p99 start lag 270 ms at 500 requests a
    /// second on a loaded machine). Another clock (a virtual one in tests) is awaited on the pool.
    /// </remarks>
    private Task ScheduleAsync(ChannelWriter<Send> writer, CancellationToken token)
    {
        if (_clock == TimeProvider.System)
        {
            // Not abandoned on cancellation: the loop sees the token within one wait and returns, so the
            // thread never outlives the group.
            return ToThread.RunAsync(() => ScheduleOnThread(writer, token), CancellationToken.None);
        }

        return ScheduleOnClockAsync(writer, token);
    }

    private void ScheduleOnThread(ChannelWriter<Send> writer, CancellationToken token)
    {
        var schedule = new Schedule(this);
        try
        {
            while (schedule.Next() is { } intended)
            {
                // Waits round up to the next millisecond; whatever is due on waking goes out at once.
                long now;
                while ((now = _clock.GetTimestamp()) < intended)
                {
                    var ms = Math.Ceiling((intended - now) * 1000.0 / _clock.TimestampFrequency);
                    if (token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(ms, 50))))
                    {
                        return; // cancelled: the connections abandon what is queued
                    }
                }

                Offer(writer, intended, now);
            }
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private async Task ScheduleOnClockAsync(ChannelWriter<Send> writer, CancellationToken token)
    {
        var schedule = new Schedule(this);
        try
        {
            while (schedule.Next() is { } intended)
            {
                var now = _clock.GetTimestamp();
                if (intended > now)
                {
                    await Task.Delay(TimeSpan.FromSeconds((intended - now) / (double)_clock.TimestampFrequency), _clock, token).ConfigureAwait(false);
                    now = _clock.GetTimestamp();
                }

                Offer(writer, intended, now);
            }
        }
        finally
        {
            writer.TryComplete();
        }
    }

    // One send due at 'intended', handed over at 'now': measured or warm-up, queued or dropped.
    private void Offer(ChannelWriter<Send> writer, long intended, long now)
    {
        var measured = intended >= _measureStart;
        if (measured)
        {
            Interlocked.Increment(ref _scheduled);
            _measurements.Scheduled(now - intended, now - intended > _lateTicks);
        }

        if (Interlocked.Increment(ref _pending) > (long)_options.Connections + _options.MaxBacklog)
        {
            Interlocked.Decrement(ref _pending);
            if (measured)
            {
                _measurements.Drop();
            }

            return;
        }

        writer.TryWrite(new Send(intended, measured));
    }

    private async Task OpenConnectionAsync(ChannelReader<Send> reader, CancellationToken token)
    {
        using var connection = Connect(token);
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var send))
                {
                    await SendAsync(send.Intended, send.Measured, connection, token).ConfigureAwait(false);
                    Interlocked.Decrement(ref _pending);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Sends still waiting in the backlog were never sent.
            while (reader.TryRead(out var send))
            {
                if (send.Measured)
                {
                    Interlocked.Increment(ref _abandoned);
                }
            }

            throw;
        }
    }

    private async Task ClosedClientAsync(CancellationToken token)
    {
        using var connection = Connect(token);
        var requests = _options.Requests ?? long.MaxValue;
        while (true)
        {
            var now = _clock.GetTimestamp();
            var measured = now >= _measureStart;
            if (measured && (now >= _measureEnd || Interlocked.Increment(ref _claimed) > requests))
            {
                return;
            }

            await SendAsync(now, measured, connection, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A worker's own connection: a raw HTTP/1.1 one for <c>http://</c> (rule 147: less client CPU per
    /// request than HttpClient), or a body buffer for HttpClient's shared pool (<c>https://</c>).
    /// </summary>
    private Connection Connect(CancellationToken token) =>
        _options.Target.Scheme == Uri.UriSchemeHttp ? new Connection(new RawHttpConnection(_options.Target, _options.Timeout, token), null) : new Connection(null, new byte[16 * 1024]);

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(long intended, bool measured, Connection connection, CancellationToken token)
    {
        _measurements.Sending(measured);
        var started = _clock.GetTimestamp();
        string? error;
        try
        {
            if (connection.Raw is { } raw)
            {
                error = ErrorKinds.OfStatus((HttpStatusCode)await raw.SendAsync().ConfigureAwait(false));
            }
            else
            {
                error = await SendWithClientAsync(connection.Buffer!, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            _measurements.Ended();
            if (measured)
            {
                Interlocked.Increment(ref _abandoned);
            }

            throw;
        }
#pragma warning disable CA1031 // A failed request is a result (its kind is counted), not a crash.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            error = ErrorKinds.Of(exception);
        }

        var end = _clock.GetTimestamp();
        _measurements.Ended();
        if (measured)
        {
            _measurements.Complete(intended, started, end, error);
        }
    }

    private async Task<string?> SendWithClientAsync(byte[] buffer, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _options.Target);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            while (await body.ReadAsync(buffer, token).ConfigureAwait(false) > 0)
            {
            }
        }

        return ErrorKinds.OfStatus(response.StatusCode);
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);

    private readonly record struct Send(long Intended, bool Measured);

    private sealed record Connection(RawHttpConnection? Raw, byte[]? Buffer) : IDisposable
    {
        public void Dispose() => Raw?.Dispose();
    }

    /// <summary>The intended times, in order: <c>start + i / rate</c> until the duration ends or the requests are all scheduled.</summary>
    private sealed class Schedule(HttpLoad load)
    {
        private readonly double _interval = load._clock.TimestampFrequency / load._options.Rate!.Value;
        private long _measuredLeft = load._options.Requests ?? long.MaxValue;
        private long _index;

        public long? Next()
        {
            var intended = load._start + (long)(_index * _interval);
            if (_measuredLeft <= 0 || intended >= load._measureEnd)
            {
                return null;
            }

            _index++;
            if (intended >= load._measureStart)
            {
                _measuredLeft--;
            }

            return intended;
        }
    }
}
