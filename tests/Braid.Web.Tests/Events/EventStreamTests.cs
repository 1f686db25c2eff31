using System.Net;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Braid.Time;

namespace Braid.Web.Tests.Events;

public sealed class EventStreamTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static CancellationToken Guard() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static WebServerOptions Options(VirtualClock clock, int history = 1000, int buffer = 64, TestLog? log = null) => new()
    {
        TimeProvider = clock,
        EventInterval = Timeout.InfiniteTimeSpan,
        HistorySize = history,
        ClientBufferSize = buffer,
        ConfigureLogging = log is null ? null : log.Configure,
    };

    [Fact]
    public async Task A_stream_sends_retry_then_live_events_with_ids_in_order()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock));
        server.Events.Publish("time", "before the client came");
        await using var client = await Client.OpenAsync(server);

        server.Events.Publish("time", "one");
        server.Events.Publish("note", "two\nlines");

        var first = await client.NextAsync();
        Assert.Equal(("2", "time", "one"), (first.EventId, first.EventType, first.Data));
        Assert.Equal(TimeSpan.FromSeconds(3), client.Parser.ReconnectionInterval);
        var second = await client.NextAsync();
        Assert.Equal(("3", "note", "two\nlines"), (second.EventId, second.EventType, second.Data));
    }

    [Fact]
    public async Task The_wire_format_is_retry_then_id_event_and_data_lines()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock));
        await using var raw = await RawClient.OpenAsync(server);
        Assert.Equal("text/event-stream", raw.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", raw.Response.Headers.CacheControl?.ToString());
        Assert.Equal(["retry: 3000"], await raw.ReadBlockAsync());

        server.Events.Publish("time", "a\nb");

        var block = await raw.ReadBlockAsync();
        Assert.Contains("id: 1", block);
        Assert.Contains("event: time", block);
        Assert.Equal(["data: a", "data: b"], block.Where(l => l.StartsWith("data:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Last_event_id_resumes_exactly_after_that_event()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock));
        for (var i = 1; i <= 5; i++)
        {
            server.Events.Publish("time", $"event {i}");
        }

        await using var client = await Client.OpenAsync(server, lastEventId: "2");
        server.Events.Publish("time", "event 6");

        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var item = await client.NextAsync();
            Assert.Equal($"event {item.EventId}", item.Data);
            ids.Add(item.EventId!);
        }

        Assert.Equal(["3", "4", "5", "6"], ids);
        Assert.Equal(1, server.GetStatistics().Resumed);
        Assert.Equal(0, server.GetStatistics().Resets);
    }

    [Fact]
    public async Task The_oldest_retained_event_still_resumes_exactly()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock, history: 4));
        for (var i = 1; i <= 10; i++)
        {
            server.Events.Publish("time", $"event {i}");
        }

        // History holds 7..10: id 6 is just before it, so nothing is missing.
        await using var client = await Client.OpenAsync(server, lastEventId: "6");
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await client.NextAsync()).EventId!);
        }

        Assert.Equal(["7", "8", "9", "10"], ids);
    }

    [Theory]
    [InlineData("5", "older than the retained history")]
    [InlineData("11", "newer than the last event")]
    [InlineData("abc", "not an event id")]
    [InlineData("-3", "not an event id")]
    public async Task An_id_that_cannot_resume_gets_a_reset_event_then_live_events(string lastEventId, string reason)
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock, history: 4));
        for (var i = 1; i <= 10; i++)
        {
            server.Events.Publish("time", $"event {i}");
        }

        await using var client = await Client.OpenAsync(server, lastEventId);
        server.Events.Publish("time", "event 11");

        var reset = await client.NextAsync();
        Assert.Equal("reset", reset.EventType);
        Assert.Equal("10", reset.EventId); // resuming from the reset loses nothing more
        using var data = JsonDocument.Parse(reset.Data);
        Assert.Contains(reason, data.RootElement.GetProperty("reason").GetString());
        Assert.Equal(7, data.RootElement.GetProperty("oldestRetained").GetInt64());
        Assert.Equal(10, data.RootElement.GetProperty("lastEventId").GetInt64());

        var next = await client.NextAsync();
        Assert.Equal(("11", "event 11"), (next.EventId, next.Data));
        Assert.Equal(1, server.GetStatistics().Resets);
    }

    [Fact]
    public async Task Resuming_from_a_reset_events_id_loses_nothing_more()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock, history: 4));
        for (var i = 1; i <= 10; i++)
        {
            server.Events.Publish("time", $"event {i}");
        }

        string resetId;
        await using (var first = await Client.OpenAsync(server, lastEventId: "1"))
        {
            resetId = (await first.NextAsync()).EventId!;
        }

        server.Events.Publish("time", "event 11");
        await using var second = await Client.OpenAsync(server, resetId);
        var next = await second.NextAsync();
        Assert.Equal(("11", "time"), (next.EventId, next.EventType));
        Assert.Equal(1, server.GetStatistics().Resets);
    }

    [Fact]
    public async Task A_heartbeat_comment_comes_every_interval_on_the_servers_clock()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock));
        await using var raw = await RawClient.OpenAsync(server);
        Assert.Equal(["retry: 3000"], await raw.ReadBlockAsync());

        clock.Advance(TimeSpan.FromSeconds(14));
        server.Events.Publish("time", "not yet");
        Assert.Contains("data: not yet", await raw.ReadBlockAsync()); // no heartbeat before it

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([": heartbeat"], await raw.ReadBlockAsync());
        clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal([": heartbeat"], await raw.ReadBlockAsync());
    }

    [Fact]
    public async Task The_heartbeat_interval_is_configurable()
    {
        var clock = new VirtualClock(Start);
        var options = Options(clock);
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        await using var server = await WebServer.StartAsync(options);
        await using var raw = await RawClient.OpenAsync(server);
        await raw.ReadBlockAsync();
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal([": heartbeat"], await raw.ReadBlockAsync());
    }

    [Fact]
    public async Task Time_events_carry_what_the_udp_time_service_answered()
    {
        var clock = new VirtualClock(Start);
        var options = Options(clock);
        options.EventInterval = TimeSpan.FromSeconds(1);
        await using var server = await WebServer.StartAsync(options);
        await using var client = await Client.OpenAsync(server);

        clock.Advance(TimeSpan.FromSeconds(1));
        var item = await client.NextAsync();

        Assert.Equal("time", item.EventType);
        using var data = JsonDocument.Parse(item.Data);
        Assert.Equal(Start.AddSeconds(1), data.RootElement.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(1, server.GetStatistics().TimeAnswered);
    }

    [Fact]
    public async Task A_client_that_does_not_read_is_dropped_with_a_logged_reason_and_a_reader_is_not()
    {
        var clock = new VirtualClock(Start);
        var log = new TestLog();
        await using var server = await WebServer.StartAsync(Options(clock, history: 8, buffer: 4, log: log));

        // The slow client: a socket with a small receive buffer that sends the request and never reads.
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(IPAddress.Loopback, server.Url.Port);
        await slow.SendAsync(Encoding.ASCII.GetBytes($"GET /events HTTP/1.1\r\nHost: {server.Url.Authority}\r\n\r\n"), SocketFlags.None);
        await server.Events.WaitForSubscribersAsync(n => n == 1, Guard());
        await using var reader = await Client.OpenAsync(server);
        await server.Events.WaitForSubscribersAsync(n => n == 2, Guard());

        // Paced by the reading client, so only the one that does not read falls behind.
        var dropped = log.WaitForAsync("dropped client");
        var payload = new string('x', 32 * 1024);
        var published = 0;
        while (!dropped.IsCompleted)
        {
            Assert.True(published < 2000, "the client that does not read was never dropped");
            var id = server.Events.Publish("big", payload);
            published++;
            Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), (await reader.NextAsync()).EventId);
        }

        var line = await dropped;
        Assert.Contains("buffer of 4 events is full", line);
        Assert.StartsWith("Warning", line);
        await server.Events.WaitForSubscribersAsync(n => n == 1, Guard());
        Assert.Equal(1, server.GetStatistics().DroppedClients);

        // The server closed the dropped connection: reading it to the end finishes.
        var buffer = new byte[64 * 1024];
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (await slow.ReceiveAsync(buffer, SocketFlags.None, guard.Token) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // an abort may reset instead of closing
        }

        // The reader goes on.
        var last = server.Events.Publish("time", "after");
        Assert.Equal(last.ToString(System.Globalization.CultureInfo.InvariantCulture), (await reader.NextAsync()).EventId);
    }

    [Fact]
    public async Task A_client_that_leaves_is_forgotten()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock));
        var client = await Client.OpenAsync(server);
        Assert.Equal(1, server.GetStatistics().EventClients);

        await client.DisposeAsync();
        server.Events.Publish("time", "nobody listens"); // a write to the closed connection also notices

        await server.Events.WaitForSubscribersAsync(n => n == 0, Guard());
        Assert.Equal(0, server.GetStatistics().DroppedClients);
    }

    [Fact]
    public async Task Stopping_the_server_ends_every_stream_cleanly()
    {
        var clock = new VirtualClock(Start);
        var server = await WebServer.StartAsync(Options(clock));
        await using var client = await Client.OpenAsync(server);
        server.Events.Publish("time", "last");
        Assert.Equal("last", (await client.NextAsync()).Data);

        await server.DisposeAsync();

        Assert.False(await client.Items.MoveNextAsync()); // the stream ended, without an error
    }

    [Fact]
    public async Task A_thousand_retained_events_resume_with_a_small_client_buffer()
    {
        var clock = new VirtualClock(Start);
        await using var server = await WebServer.StartAsync(Options(clock, buffer: 2));
        for (var i = 1; i <= 1000; i++)
        {
            server.Events.Publish("time", $"event {i}");
        }

        // The replay is written from the history, not through the client's buffer.
        await using var client = await Client.OpenAsync(server, lastEventId: "0");
        for (var i = 1; i <= 1000; i++)
        {
            Assert.Equal($"event {i}", (await client.NextAsync()).Data);
        }

        Assert.Equal(0, server.GetStatistics().DroppedClients);
    }

    /// <summary>A client reading through <see cref="SseParser"/>, as an application would.</summary>
    private sealed class Client : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly HttpResponseMessage _response;

        private Client(HttpClient http, HttpResponseMessage response, Stream stream)
        {
            _http = http;
            _response = response;
            Parser = SseParser.Create(stream);
            Items = Parser.EnumerateAsync(Guard()).GetAsyncEnumerator();
        }

        public SseParser<string> Parser { get; }

        public IAsyncEnumerator<SseItem<string>> Items { get; }

        /// <summary>Opens <c>/events</c>; returns once the response has started, which is after the server registered the client.</summary>
        public static async Task<Client> OpenAsync(WebServer server, string? lastEventId = null)
        {
            var http = new HttpClient { BaseAddress = server.Url };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/events");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Guard());
            response.EnsureSuccessStatusCode();
            return new Client(http, response, await response.Content.ReadAsStreamAsync());
        }

        public async Task<SseItem<string>> NextAsync()
        {
            Assert.True(await Items.MoveNextAsync(), "the stream ended");
            return Items.Current;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Items.DisposeAsync();
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
            }

            _response.Dispose();
            _http.Dispose();
        }
    }

    /// <summary>A client reading the wire lines, to see the retry field and comments.</summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly StreamReader _reader;

        private RawClient(HttpClient http, HttpResponseMessage response, Stream stream)
        {
            _http = http;
            Response = response;
            _reader = new StreamReader(stream, Encoding.UTF8);
        }

        public HttpResponseMessage Response { get; }

        public static async Task<RawClient> OpenAsync(WebServer server)
        {
            var http = new HttpClient { BaseAddress = server.Url };
            var response = await http.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead, Guard());
            return new RawClient(http, response, await response.Content.ReadAsStreamAsync());
        }

        /// <summary>The lines up to the next blank line.</summary>
        public async Task<List<string>> ReadBlockAsync()
        {
            var lines = new List<string>();
            var guard = Guard();
            while (await _reader.ReadLineAsync(guard) is { } line)
            {
                if (line.Length == 0)
                {
                    return lines;
                }

                lines.Add(line);
            }

            throw new EndOfStreamException("the stream ended");
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            Response.Dispose();
            _http.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
