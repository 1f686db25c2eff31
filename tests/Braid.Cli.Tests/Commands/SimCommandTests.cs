using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Braid.Cli.Tests.Commands;

/// <summary><c>braid sim</c> run in-process (issue 17).</summary>
public sealed class SimCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("braid-sim-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public async Task Runs_side_by_side_and_writes_json_and_html()
    {
        var json = Path.Combine(_temp, "sim.json");
        var html = Path.Combine(_temp, "sim.html");
        var (exit, stdout, stderr) = await Cli.RunAsync("sim", "--agents", "101", "--years", "3", "--policy", "mixed,cheat", "--runs", "2", "--json", json, "--html", html);

        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("run ", lines[0], StringComparison.Ordinal);
        Assert.Equal(["mixed seed 1", "mixed seed 2", "cheat seed 1", "cheat seed 2"], lines[1..5].Select(l => l[..12].Trim()));
        Assert.Contains("4,800 decisions", lines[5], StringComparison.Ordinal); // 100 of 101 trade, 12 quarters, 4 runs

        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var runs = doc.RootElement.GetProperty("runs");
        Assert.Equal(4, runs.GetArrayLength());
        Assert.Equal(3, runs[0].GetProperty("yearly").GetArrayLength());
        Assert.Equal(0.0, runs[2].GetProperty("yearly")[0].GetProperty("cooperationShare").GetDouble());
        var page = await File.ReadAllTextAsync(html);
        foreach (var section in new[] { "Gini over time", "Tactic shares over time", "Wealth histogram at the end", "The model's share of decisions", "<svg" })
        {
            Assert.Contains(section, page, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_cluster_run_on_a_local_silo_equals_the_in_process_run()
    {
        var local = Path.Combine(_temp, "local.json");
        var cluster = Path.Combine(_temp, "cluster.json");
        string[] run = ["sim", "--agents", "21", "--years", "1", "--policy", "mixed", "--seed", "5"];
        Assert.Equal(0, (await Cli.RunAsync([.. run, "--json", local])).Exit);
        var (exit, stdout, stderr) = await Cli.RunAsync([.. run, "--json", cluster, "--cluster"]);

        Assert.Equal("", stderr);
        Assert.Equal(0, exit);
        Assert.Contains("Orleans grains on a local silo", stdout, StringComparison.Ordinal);
        using var a = JsonDocument.Parse(await File.ReadAllTextAsync(local));
        using var b = JsonDocument.Parse(await File.ReadAllTextAsync(cluster));
        Assert.Equal("orleans", b.RootElement.GetProperty("engine").GetString());
        Assert.Equal(a.RootElement.GetProperty("runs").GetRawText(), b.RootElement.GetProperty("runs").GetRawText());
    }

    [Theory]
    [InlineData("braid sim: --agents must not be negative (got -3)", "--agents", "-3")]
    [InlineData("braid sim: --years must not be negative (got -1)", "--years", "-1")]
    [InlineData("braid sim: --policy: 'greedy' is not one of random, cooperate, cheat, tit-for-tat, model, mixed", "--policy", "random,greedy")]
    [InlineData("braid sim: --payoffs: '1,2' is not four comma-separated whole numbers R,T,S,P", "--payoffs", "1,2")]
    [InlineData("braid sim: --runs must be at least 1 (got 0)", "--runs", "0")]
    [InlineData("braid sim: --model-endpoint: 'ftp://x' is not an http or https URL", "--policy", "model", "--model-endpoint", "ftp://x")]
    public async Task Bad_input_is_one_line_exit_2_and_no_file(string message, params string[] args)
    {
        var json = Path.Combine(_temp, "bad.json");
        var (exit, stdout, stderr) = await Cli.RunAsync(["sim", "--json", json, .. args]);

        Assert.Equal(2, exit);
        Assert.Equal(message + "\n", stderr);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(json));
    }

    [Fact]
    public async Task An_unreachable_model_endpoint_falls_back_with_one_warning_line()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (exit, stdout, stderr) = await Cli.RunAsync("sim", "--policy", "model", "--agents", "4", "--years", "1", "--model-endpoint", $"http://127.0.0.1:{port}/v1/");

        Assert.Equal(0, exit);
        var warning = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"braid sim: warning: the model at http://127.0.0.1:{port}/v1/ is unreachable (", warning, StringComparison.Ordinal);
        Assert.EndsWith("16 decisions fell back to tit-for-tat", warning, StringComparison.Ordinal);
        Assert.Contains("model seed 1", stdout, StringComparison.Ordinal);
    }
}
