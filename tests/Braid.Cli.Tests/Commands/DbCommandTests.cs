using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Braid.Cli.Commands;

namespace Braid.Cli.Tests.Commands;

/// <summary><c>braid db</c>: bad input is one line and exit 2, passwords are never echoed (docs/design.md rule 155).</summary>
public sealed class DbCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("braid-db-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_sqlite_experiment_prints_its_table_and_writes_json()
    {
        var json = Path.Combine(_dir, "sqlite.json");
        var (exit, stdout, stderr) = await Cli.RunAsync("db", "sqlite", "--writers", "2", "--rows", "10", "--json", json);
        Assert.True(exit == 0, stderr);
        Assert.Contains("completed synchronously", stdout, StringComparison.Ordinal);
        Assert.Contains("one writer", stdout, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var cases = document.RootElement.GetProperty("reports")[0].GetProperty("cases");
        Assert.Equal(3, cases.GetArrayLength());
        var single = cases[2].GetProperty("metrics").EnumerateArray().First(m => m.GetProperty("name").GetString() == "rows");
        Assert.Equal(20, single.GetProperty("value").GetDouble()); // 2 producers x 10 rows, none lost
    }

    [Fact]
    public async Task A_report_named_html_is_an_html_page()
    {
        var html = Path.Combine(_dir, "sqlite.html");
        var (exit, _, stderr) = await Cli.RunAsync("db", "sqlite", "--writers", "2", "--rows", "5", "--json", html);
        Assert.True(exit == 0, stderr);
        var page = await File.ReadAllTextAsync(html);
        Assert.StartsWith("<!DOCTYPE html>", page, StringComparison.Ordinal);
        Assert.Contains("<td>8 ExecuteScalarAsync started together</td>", page, StringComparison.Ordinal);
        Assert.Contains("<li>journal_mode = wal</li>", page, StringComparison.Ordinal);
        Assert.Contains("Starting 8 &#39;async&#39; queries together", page, StringComparison.Ordinal); // encoded
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Password=hunter2;Frobnicate=1")]
    [InlineData("Host=127.0.0.1;Password=hunter2;Port=notaport")]
    public async Task A_bad_connection_string_is_one_line_and_exit_2(string connection)
    {
        var (exit, stdout, stderr) = await Cli.RunAsync("db", "bulk", "--connection", connection);
        Assert.Equal(CliRunner.BadInput, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("braid db bulk: bad connection string 'Host=127.0.0.1;Password=***;", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("hunter2", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_is_one_line_and_exit_2()
    {
        var port = ClosedPort();
        var (exit, _, stderr) = await Cli.RunAsync("db", "connections", "--queries", "1", "-c", $"Host=127.0.0.1;Port={port};Username=u;Password=hunter2;Timeout=5");
        Assert.Equal(CliRunner.BadInput, exit);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal($"braid db connections: Host=127.0.0.1;Port={port};Username=u;Password=***;Timeout=5", lines[0]); // what it connects to, masked
        Assert.Equal($"braid db connections: cannot connect to 127.0.0.1:{port}: connection refused (is PostgreSQL running there? scripts/postgres-start.sh starts one)", lines[1]);
        Assert.Equal(2, lines.Length);
        Assert.DoesNotContain("hunter2", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_server_configured_is_one_line_and_exit_2()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await DbCommand.RunAsync("braid db fetch", null, null, [], _ => throw new InvalidOperationException("not reached"), stdout, stderr, CancellationToken.None);
        Assert.Equal(CliRunner.BadInput, exit);
        Assert.StartsWith("braid db fetch: no PostgreSQL: pass --connection or set BRAID_POSTGRES", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_count_below_one_is_bad_input()
    {
        var (exit, _, stderr) = await Cli.RunAsync("db", "sqlite", "--rows", "0");
        Assert.Equal(CliRunner.BadInput, exit);
        Assert.Equal("braid db sqlite: --rows must be at least 1 (got 0)\n", stderr);
    }

    [Fact]
    public async Task The_sqlite_ingest_runs_resumes_and_reports_a_missing_table_and_a_bad_line()
    {
        var csv = Path.Combine(_dir, "rows.csv");
        var database = Path.Combine(_dir, "ingest.db");
        var (exit, stdout, stderr) = await Cli.RunAsync("db", "ingest", "--sqlite", database, "--csv", csv, "--make-csv", "2500", "--batch", "1000", "--create");
        Assert.True(exit == 0, stderr);
        Assert.Contains("2,500 rows in 3 batches this run (0 batches done by earlier runs, skipped); the table has 2,500 rows", stdout, StringComparison.Ordinal);

        (exit, stdout, _) = await Cli.RunAsync("db", "ingest", "--sqlite", database, "--csv", csv, "--batch", "1000");
        Assert.Equal(0, exit);
        Assert.Contains("0 rows in 0 batches this run (3 batches done by earlier runs, skipped); the table has 2,500 rows", stdout, StringComparison.Ordinal);

        (exit, _, stderr) = await Cli.RunAsync("db", "ingest", "--sqlite", database, "--csv", csv, "--table", "other");
        Assert.Equal(CliRunner.BadInput, exit);
        Assert.Equal($"braid db ingest: missing table: other does not exist in {database} (--create makes it)\n", stderr);

        await File.AppendAllTextAsync(csv, "x,y\n");
        (exit, _, stderr) = await Cli.RunAsync("db", "ingest", "--sqlite", Path.Combine(_dir, "fresh.db"), "--csv", csv, "--create");
        Assert.Equal(CliRunner.BadInput, exit);
        Assert.StartsWith($"braid db ingest: {csv}:2502: expected id,name,value", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
