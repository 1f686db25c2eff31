using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Braid.Cli.Commands;

namespace Braid.Cli.Tests.Commands;

public sealed class ServeCommandTests
{
    private static readonly string CliDll = Path.Combine(AppContext.BaseDirectory, "Braid.Cli.dll");

    [Theory]
    [InlineData("--port 70000", "braid serve: --port: '70000' is not a port (0 to 65535)")]
    [InlineData("--port abc", "braid serve: --port: 'abc' is not a port (0 to 65535)")]
    [InlineData("--host example.org", "braid serve: --host: 'example.org' is not an IP address or localhost")]
    [InlineData("--host 0.0.0.0", "braid serve: --host 0.0.0.0 is not a loopback address; other machines could reach the server, so pass --allow-remote to mean it")]
    [InlineData("--heartbeat 0", "braid serve: --heartbeat must be a positive number of seconds (got 0)")]
    [InlineData("--event-interval -1", "braid serve: --event-interval must be a positive number of seconds (got -1)")]
    [InlineData("--history 0", "braid serve: --history must be at least 1 (got 0)")]
    [InlineData("--client-buffer 0", "braid serve: --client-buffer must be at least 1 (got 0)")]
    [InlineData("--url-file /nonexistent/url.txt", "braid serve: cannot write /nonexistent/url.txt: the folder /nonexistent does not exist")]
    public async Task Bad_input_is_one_line_and_exit_code_2(string arguments, string error)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync(["serve", .. arguments.Split(' ')]);
        Assert.Equal((CliRunner.BadInput, "", error + "\n"), (exit, stdout, stderr));
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_and_exit_code_2()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (exit, stdout, stderr) = await Cli.RunAsync("serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal((CliRunner.BadInput, ""), (exit, stdout));
        Assert.Equal($"braid serve: cannot listen on 127.0.0.1:{port}: the address is already in use\n", stderr);
    }

    [Fact]
    public async Task It_prints_its_url_writes_the_url_file_serves_metrics_and_stops_on_cancel()
    {
        var urlFile = Path.Combine(Path.GetTempPath(), $"braid-serve-{Guid.NewGuid():N}.url");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        string metrics = "";
        Uri? url = null;
        try
        {
            var exit = await ServeCommand.RunAsync(new ServeCommand.Arguments(UrlFile: urlFile), stdout, stderr, stop.Token, async server =>
            {
                url = server.Url;
                using var client = new HttpClient { BaseAddress = server.Url };
                await client.GetStringAsync("/async?ms=1");
                metrics = await client.GetStringAsync("/metrics");
                await stop.CancelAsync();
            });

            Assert.Equal(0, exit);
            var line = url!.ToString().TrimEnd('/');
            Assert.Equal(line + "\n", stdout.ToString().ReplaceLineEndings("\n"));
            Assert.Equal(line + "\n", await File.ReadAllTextAsync(urlFile));
            Assert.EndsWith("braid serve: stopped\n", stderr.ToString().ReplaceLineEndings("\n"));
            Assert.Contains("braid_web_sse_clients", metrics);
            Assert.Contains("braid_web_echo_calls_total{otel_scope_name=\"Braid.Web\"} 2", metrics);
            Assert.Contains("dotnet_thread_pool_thread_count", metrics);
            Assert.Contains("http_server_request_duration_seconds", metrics);
        }
        finally
        {
            File.Delete(urlFile);
        }
    }

    [Fact]
    public async Task As_a_process_its_first_line_is_the_url_and_sigterm_stops_it_with_exit_code_0()
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliDll);
        info.ArgumentList.Add("serve");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(guard.Token);
            Assert.NotNull(line);
            Assert.Matches("^http://127\\.0\\.0\\.1:[0-9]+$", line);
            using var client = new HttpClient();
            Assert.Contains("\"status\":\"ok\"", await client.GetStringAsync(new Uri(new Uri(line), "/health"), guard.Token));

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(guard.Token);
            }

            await process.WaitForExitAsync(guard.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Null(await process.StandardOutput.ReadLineAsync(guard.Token)); // nothing but the URL on stdout
            Assert.EndsWith("braid serve: stopped\n", await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Told_to_stop_when_its_stdin_closes_it_stops_when_its_parent_lets_go_of_it()
    {
        // The lab's web experiment starts its servers this way, so a lab killed outright (SIGKILL closes
        // its end of the pipe) leaves no orphan server behind.
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliDll);
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--until-stdin-closes");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(guard.Token);
            Assert.NotNull(line);
            using var client = new HttpClient();
            Assert.Contains("\"status\":\"ok\"", await client.GetStringAsync(new Uri(new Uri(line), "/health"), guard.Token));

            process.StandardInput.Close();

            await process.WaitForExitAsync(guard.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.EndsWith("braid serve: stopped\n", await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
