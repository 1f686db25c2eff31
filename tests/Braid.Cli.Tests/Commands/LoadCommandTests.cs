using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Braid.Cli.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Braid.Cli.Tests.Commands;

/// <summary><c>braid load</c> in-process, against a real Kestrel server on 127.0.0.1 (issue 15).</summary>
public sealed class LoadCommandTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);
    private readonly string _temp = Directory.CreateTempSubdirectory("braid-load-").FullName;
    private readonly TaskCompletionSource _twentyHits = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _app = null!;
    private long _hits;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/", () =>
        {
            if (Interlocked.Increment(ref _hits) == 20)
            {
                _twentyHits.TrySetResult();
            }

            return "ok";
        });
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task A_closed_run_prints_its_summary_and_writes_json_and_html()
    {
        var json = Path.Combine(_temp, "load.json");
        var html = Path.Combine(_temp, "load.html");

        var (exit, stdout, stderr) = await Cli.RunAsync("load", _url, "-n", "50", "-c", "2", "--json", json, "--html", html, "--no-progress").WaitAsync(Guard);

        Assert.Equal(0, exit);
        Assert.Equal(50, Interlocked.Read(ref _hits));
        Assert.Contains("requests: 50 completed (50 ok, 0 failed)", stdout, StringComparison.Ordinal);
        Assert.Contains("The generator", stdout, StringComparison.Ordinal);
        Assert.Equal($"braid load: {_url} with 2 connections (closed model) for 50 requests\n", stderr);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.Equal(50, doc.RootElement.GetProperty("completed").GetInt64());
        Assert.Equal("closed", doc.RootElement.GetProperty("model").GetString());
        Assert.Contains("<svg", await File.ReadAllTextAsync(html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_on_standard_output_moves_the_summary_to_stderr()
    {
        var (exit, stdout, stderr) = await Cli.RunAsync("load", _url, "-r", "200", "-n", "20", "--json", "-", "--no-progress").WaitAsync(Guard);

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(20, doc.RootElement.GetProperty("sent").GetInt64());
        Assert.Contains("latency (from intended start, corrected)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_is_plain_lines_when_redirected()
    {
        var (exit, _, stderr) = await Cli.RunAsync("load", _url, "-c", "1", "-d", "1500ms").WaitAsync(Guard);

        Assert.Equal(0, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("braid load: ", StringComparison.Ordinal) && l.Contains(" done, ", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', stderr);
    }

    [Fact]
    public async Task Ctrl_c_writes_what_was_measured()
    {
        var json = Path.Combine(_temp, "cancelled.json");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource();
        var run = CliRunner.InvokeAsync(BraidCommand.CreateRoot(), ["load", _url, "-c", "2", "-d", "5m", "--json", json, "--no-progress"], stdout, stderr, cancel.Token);
        await _twentyHits.Task.WaitAsync(Guard);
        await cancel.CancelAsync();

        var exit = await run.WaitAsync(Guard);

        Assert.Equal(LoadCommand.Cancelled, exit);
        Assert.Contains("cancelled: these figures cover the run until it was stopped", stdout.ToString(), StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.True(doc.RootElement.GetProperty("cancelled").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("completed").GetInt64() >= 1);
    }

    [Fact]
    public async Task No_url_is_one_line_and_exit_2()
    {
        var (exit, stdout, stderr) = await Cli.RunAsync("load", "-n", "1");

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal("braid load: expects a URL to load, such as http://127.0.0.1:5000/\n", stderr);
    }

    [Theory]
    [InlineData("not a url", "braid load: 'not a url' is not an http:// or https:// URL")]
    [InlineData("ftp://127.0.0.1/", "braid load: 'ftp://127.0.0.1/' is not an http:// or https:// URL")]
    [InlineData("http://example.com/", "braid load: example.com is not a loopback address; load on another host needs an explicit permission (--allow-remote)")]
    [InlineData("http://192.0.2.1:8080/", "braid load: 192.0.2.1 is not a loopback address; load on another host needs an explicit permission (--allow-remote)")]
    public async Task A_bad_or_remote_url_is_one_line_and_exit_2(string url, string line)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync("load", url, "-n", "1");

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal(line + "\n", stderr);
    }

    [Fact]
    public async Task A_closed_port_on_loopback_is_one_line_and_exit_2()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (exit, stdout, stderr) = await Cli.RunAsync("load", $"http://127.0.0.1:{port}/", "-n", "1");

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Equal($"braid load: nothing listens on 127.0.0.1:{port} (connection refused)\n", stderr);
    }

    [Theory]
    [InlineData("--rate", "0", "the rate must be more than 0")]
    [InlineData("--rate", "-5", "the rate must be more than 0")]
    [InlineData("--rate", "fast", "--rate: 'fast' is not a number of requests a second")]
    [InlineData("--connections", "0", "connections must be between 1 and 100000, not 0")]
    [InlineData("--connections", "-2", "connections must be between 1 and 100000, not -2")]
    [InlineData("--duration", "0", "the duration must be more than 0")]
    [InlineData("--duration", "-1s", "the duration must be more than 0")]
    [InlineData("--duration", "soon", "--duration: 'soon' is not a duration such as 500ms, 10s or 2m")]
    [InlineData("--requests", "0", "the number of requests must be at least 1, not 0")]
    [InlineData("--sse", "0", "SSE clients must be between 1 and 100000, not 0")]
    public async Task Zero_negative_or_unreadable_numbers_are_one_line_and_exit_2(string option, string value, string message)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync("load", _url, option, value);

        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("braid load: ", stderr, StringComparison.Ordinal);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Equal(0, Interlocked.Read(ref _hits));
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("10s", 10)]
    [InlineData("2m", 120)]
    [InlineData("1.5", 1.5)]
    [InlineData("1h", 3600)]
    public void Durations_read_with_their_unit(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), LoadCommand.ParseDuration(text));
}
