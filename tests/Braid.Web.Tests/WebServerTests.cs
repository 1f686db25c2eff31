using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Braid.Web.Tests;

public sealed class WebServerTests
{
    private static readonly WebServerOptions Quiet = new() { EventInterval = Timeout.InfiniteTimeSpan };

    [Theory]
    [InlineData("blocking")]
    [InlineData("async")]
    [InlineData("sync-over-async")]
    [InlineData("cpu")]
    public async Task Each_work_endpoint_does_its_work_between_two_echo_calls(string mode)
    {
        await using var server = await WebServer.StartAsync(Quiet);
        using var client = new HttpClient { BaseAddress = server.Url };

        var started = TimeProvider.System.GetTimestamp();
        using var answer = JsonDocument.Parse(await client.GetStringAsync($"/{mode}?ms=30"));
        var took = TimeProvider.System.GetElapsedTime(started);

        Assert.Equal(mode, answer.RootElement.GetProperty("mode").GetString());
        Assert.Equal(30, answer.RootElement.GetProperty("ms").GetInt32());
        Assert.True(answer.RootElement.GetProperty("poolThreads").GetInt32() > 0);
        Assert.True(took >= TimeSpan.FromMilliseconds(29), $"{mode} answered after {took.TotalMilliseconds} ms, before its 30 ms of work");
        Assert.Equal(2, server.GetStatistics().EchoCalls);
    }

    [Fact]
    public async Task Without_the_echo_hook_the_work_endpoints_call_nothing()
    {
        await using var server = await WebServer.StartAsync(new WebServerOptions { EventInterval = Timeout.InfiniteTimeSpan, CallEchoService = false });
        using var client = new HttpClient { BaseAddress = server.Url };
        await client.GetStringAsync("/async?ms=0");
        Assert.Equal(0, server.GetStatistics().EchoCalls);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("10001")]
    public async Task A_bad_ms_is_a_bad_request(string ms)
    {
        await using var server = await WebServer.StartAsync(Quiet);
        using var client = new HttpClient { BaseAddress = server.Url };
        using var response = await client.GetAsync($"/blocking?ms={ms}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is not a whole number of milliseconds", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_answers_ok_and_the_echo_service_echoes()
    {
        await using var server = await WebServer.StartAsync(Quiet);
        using var client = new HttpClient();

        using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri(server.Url, "/health")));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());

        using var echoed = await client.PostAsync(new Uri(server.EchoUrl, "/echo"), new StringContent("hello"));
        Assert.Equal("hello", await echoed.Content.ReadAsStringAsync());
        Assert.NotEqual(server.Url.Port, server.EchoUrl.Port);
    }

    [Fact]
    public async Task Every_service_listens_on_loopback_on_a_free_port()
    {
        await using var server = await WebServer.StartAsync(Quiet);
        Assert.Equal("127.0.0.1", server.Url.Host);
        Assert.Equal("127.0.0.1", server.EchoUrl.Host);
        Assert.True(IPAddress.IsLoopback(server.TimeEndPoint.Address));
        Assert.NotEqual(0, server.Url.Port);
    }

    [Fact]
    public async Task Extra_endpoints_and_services_come_from_the_hooks()
    {
        var options = new WebServerOptions
        {
            EventInterval = Timeout.InfiniteTimeSpan,
            MapEndpoints = app => Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, "/extra", () => "extra"),
        };
        await using var server = await WebServer.StartAsync(options);
        using var client = new HttpClient { BaseAddress = server.Url };
        Assert.Equal("extra", await client.GetStringAsync("/extra"));
    }

    [Fact]
    public async Task A_non_loopback_address_needs_the_explicit_flag()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => WebServer.StartAsync(new WebServerOptions { Address = IPAddress.Any }));
        Assert.Contains("not a loopback address", error.Message);
    }

    [Fact]
    public async Task Options_out_of_range_are_refused_before_anything_starts()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => WebServer.StartAsync(new WebServerOptions { Port = 70000 }));
        await Assert.ThrowsAsync<ArgumentException>(() => WebServer.StartAsync(new WebServerOptions { HeartbeatInterval = TimeSpan.Zero }));
        await Assert.ThrowsAsync<ArgumentException>(() => WebServer.StartAsync(new WebServerOptions { EventInterval = TimeSpan.FromSeconds(-1) }));
        await Assert.ThrowsAsync<ArgumentException>(() => WebServer.StartAsync(new WebServerOptions { HistorySize = 0 }));
        await Assert.ThrowsAsync<ArgumentException>(() => WebServer.StartAsync(new WebServerOptions { ClientBufferSize = 0 }));
    }

    [Fact]
    public async Task A_port_in_use_fails_to_start_and_leaves_nothing_running()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        await Assert.ThrowsAnyAsync<IOException>(() => WebServer.StartAsync(new WebServerOptions { Port = port }));
    }

    [Fact]
    public async Task Stopping_twice_is_harmless_and_closes_the_port()
    {
        var server = await WebServer.StartAsync(Quiet);
        var url = server.Url;
        await server.StopAsync();
        await server.DisposeAsync();
        using var client = new HttpClient();
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(url, "/health")));
    }
}
