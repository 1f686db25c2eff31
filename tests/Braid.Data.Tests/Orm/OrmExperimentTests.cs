using Braid.Data.Experiments;
using Braid.Data.Orm;
using Braid.Data.Tests.Postgres;

namespace Braid.Data.Tests.Orm;

/// <summary>EF Core CRUD and streaming on both databases; one context per operation (docs/design.md rule 156).</summary>
public sealed class OrmExperimentTests : IDisposable
{
    private const int Authors = 5, Books = 4;
    private readonly string _dir = Directory.CreateTempSubdirectory("braid-orm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Crud_and_streaming_on_sqlite_and_one_shared_context_never_overlaps_there()
    {
        var report = await OrmExperiment.RunAsync(null, _dir, Authors, Books, concurrency: 4, CancellationToken.None);
        AssertCrud(report);
        Assert.Equal(0, report.Cases[^1]["failed"]); // the async calls ran synchronously: no overlap, no error
    }

    [SkippableFact]
    public async Task Crud_and_streaming_on_postgres_and_one_shared_context_fails_there()
    {
        var report = await OrmExperiment.RunAsync(PostgresServer.ConnectionString(), _dir, Authors, Books, concurrency: 4, CancellationToken.None);
        AssertCrud(report);
        Assert.Equal(1, report.Cases[^1]["failed"]);
        Assert.Contains(report.Notes, n => n.Contains("A second operation was started on this context instance", StringComparison.Ordinal));
        Assert.DoesNotContain("Password=", report.Connection.Replace("Password=***", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static void AssertCrud(DataReport report)
    {
        var perAuthor = Enumerable.Range(1901, Books).Sum();
        var (create, update, delete, stream, parallel) = (report.Cases[0], report.Cases[1], report.Cases[2], report.Cases[3], report.Cases[4]);
        Assert.Equal((Authors, Authors * Books, Authors * perAuthor), ((int)create["authors"], (int)create["books"], (int)create["sum year"]));
        Assert.Equal(Authors * (perAuthor + (100 * Books)), update["sum year"]);
        Assert.Equal((Authors - 1, (Authors - 1) * Books), ((int)delete["authors"], (int)delete["books"]));
        Assert.Equal((Authors - 1) * Books, stream["books"]);
        Assert.Equal((Authors - 1) * (perAuthor + (100 * Books)), stream["sum year"]);
        Assert.Equal(4, parallel["succeeded"]);
    }
}
