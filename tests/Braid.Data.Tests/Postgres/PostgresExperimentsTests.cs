using Braid.Data.Experiments;
using Braid.Data.Postgres;
using Npgsql;

namespace Braid.Data.Tests.Postgres;

public sealed class PostgresExperimentsTests
{
    [SkippableFact]
    public async Task Every_way_of_connecting_runs_every_query_once_and_the_pool_stays_within_its_size()
    {
        const int Queries = 60, Concurrency = 8;
        var report = await PostgresExperiments.ConnectionsAsync(PostgresServer.ConnectionString(), Queries, Concurrency, CancellationToken.None);
        Assert.Equal(6, report.Cases.Count);
        Assert.All(report.Cases, c => Assert.Equal(Queries * (Queries + 1) / 2, c["sum"]));
        var fresh = report.Cases.Where(c => c.Name.StartsWith("fresh", StringComparison.Ordinal)).ToList();
        Assert.All(fresh, c => Assert.True(c["server connections"] > Concurrency, $"{c.Name}: {c["server connections"]} backends"));
        Assert.All(report.Cases.Except(fresh), c => Assert.InRange(c["server connections"], 1, Concurrency));
        Assert.DoesNotContain("Password=", report.Connection.Replace("Password=***", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("fsync", report.Settings.Keys);
        var password = new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString()).Password!;
        Assert.DoesNotContain(password, DataReportJson.Write([report]), StringComparison.Ordinal);
        Assert.Contains("Password=***", DataReportJson.Write([report]), StringComparison.Ordinal);
        Assert.Contains("synchronous_commit", report.Settings.Keys);
    }

    [SkippableFact]
    public async Task Every_bulk_insert_writes_exactly_the_rows()
    {
        const int Rows = 300;
        var report = await PostgresExperiments.BulkAsync(PostgresServer.ConnectionString(), Rows, CancellationToken.None);
        Assert.Equal(4, report.Cases.Count);
        Assert.All(report.Cases, c =>
        {
            Assert.Equal(Rows, c["rows"]);
            Assert.Equal((long)Rows * (Rows + 1) / 2, c["sum id"]);
            Assert.Equal(Rows * (Rows + 1) / 4.0, c["sum value"], 6);
        });
    }

    [SkippableFact]
    public async Task Every_way_of_fetching_sees_every_row_once()
    {
        const int Rows = 5000;
        var report = await PostgresExperiments.FetchAsync(PostgresServer.ConnectionString(), Rows, pageSize: 700, CancellationToken.None);
        Assert.Equal(3, report.Cases.Count);
        Assert.All(report.Cases, c =>
        {
            Assert.Equal(Rows, c["rows"]);
            Assert.Equal((long)Rows * (Rows + 1) / 2, c["sum id"]);
            Assert.InRange(c["first row"], 0, c["total"]);
        });
    }

    [SkippableFact]
    public async Task The_pool_never_opens_more_than_its_size_and_says_when_it_is_exhausted()
    {
        var report = await PostgresExperiments.PoolAsync(PostgresServer.ConnectionString(), maxPoolSize: 3, tasks: 20, CancellationToken.None);
        var load = report.Cases[0];
        Assert.Equal(20, load["completed"]);
        Assert.InRange(load["most server connections seen"], 1, 3);
        var exhausted = report.Cases[1];
        Assert.Equal(1, exhausted["failed"]);
        Assert.Contains(report.Notes, n => n.Contains("pool", StringComparison.OrdinalIgnoreCase) && n.Contains("exhausted", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Maximum_Pool_Size_is_the_keyword_and_Max_Pool_Size_is_not()
    {
        Assert.Equal("accepted", PostgresExperiments.Keyword("Maximum Pool Size=5"));
        Assert.Equal("accepted", PostgresExperiments.Keyword("MaxPoolSize=5"));
        Assert.NotEqual("accepted", PostgresExperiments.Keyword("Max Pool Size=5"));
    }
}
