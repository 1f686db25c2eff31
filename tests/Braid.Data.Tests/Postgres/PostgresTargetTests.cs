using System.Net;
using System.Net.Sockets;
using Braid.Data.Experiments;
using Braid.Data.Postgres;
using Npgsql;

namespace Braid.Data.Tests.Postgres;

/// <summary>Bad input is one clear line, and a password is never shown (docs/design.md rule 155).</summary>
public sealed class PostgresTargetTests
{
    [Theory]
    [InlineData("Host=h;Password=secret;Username=u", "Host=h;Password=***;Username=u")]
    [InlineData("host=h;password = 's3;cret';user=u", "host=h;password=***;user=u")]
    [InlineData("Host=h;PWD=abc", "Host=h;PWD=***")]
    [InlineData("Host=h;Username=u", "Host=h;Username=u")]
    public void Passwords_are_masked(string input, string expected) => Assert.Equal(expected, PostgresTarget.Mask(input));

    [Theory]
    [InlineData("Host=127.0.0.1;Password=hunter2;Frobnicate=1")]
    [InlineData("Host=127.0.0.1;Password=hunter2;Port=notaport")]
    [InlineData("Password=hunter2;Username=u")]
    public void A_bad_connection_string_is_one_line_without_the_password(string input)
    {
        var error = Assert.Throws<DataInputException>(() => PostgresTarget.Parse(input));
        Assert.StartsWith("bad connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("Host=h;Frobnicate=1", "'frobnicate' is not an Npgsql keyword")]
    [InlineData("Host=h;Max Pool Size=5", "'max pool size' is not an Npgsql keyword")]
    [InlineData("Host=h;Port=notaport", "bad value for 'port'")]
    public void A_bad_connection_string_says_whether_the_keyword_or_the_value_is_wrong(string input, string reason)
    {
        var error = Assert.Throws<DataInputException>(() => PostgresTarget.Parse(input));
        Assert.EndsWith($"': {reason}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_is_connection_refused()
    {
        var builder = PostgresTarget.Parse($"Host=127.0.0.1;Port={ClosedPort()};Username=u;Password=p;Timeout=5");
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await source.OpenConnectionAsync());
        var line = PostgresTarget.Describe(error, builder);
        Assert.NotNull(line);
        Assert.Contains("connection refused", line, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_wrong_password_and_a_missing_table_are_one_line_each()
    {
        var good = PostgresTarget.Parse(PostgresServer.ConnectionString());
        var wrong = new NpgsqlConnectionStringBuilder(good.ConnectionString) { Password = "not-the-password", Pooling = false };
        await using (var source = NpgsqlDataSource.Create(wrong.ConnectionString))
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(async () => await source.OpenConnectionAsync());
            Assert.StartsWith("wrong password for user 'braid'", PostgresTarget.Describe(error, wrong), StringComparison.Ordinal);
        }

        await using (var source = NpgsqlDataSource.Create(good.ConnectionString))
        {
            await using var command = source.CreateCommand("SELECT * FROM braid_no_such_table");
            var error = await Assert.ThrowsAnyAsync<Exception>(() => command.ExecuteNonQueryAsync());
            Assert.Equal("missing table: relation \"braid_no_such_table\" does not exist", PostgresTarget.Describe(error, good));
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // closed now: nothing listens there
        return port;
    }
}
