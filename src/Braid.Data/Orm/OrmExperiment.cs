using System.Diagnostics;
using Braid.Data.Experiments;
using Braid.Data.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace Braid.Data.Orm;

/// <summary>
/// <c>braid db orm</c>: EF Core CRUD on authors and books, a streamed query
/// (<c>AsNoTracking().AsAsyncEnumerable()</c>), and the one-context-per-operation rule shown: two
/// operations started together on one context fail on PostgreSQL and cannot overlap on SQLite, where
/// the async calls run synchronously; a context each from a pooled factory works on both.
/// </summary>
internal static class OrmExperiment
{
    /// <summary>What the shared-context probe saw: the error's type and first line, or null when none was thrown.</summary>
    internal sealed record SharedContext(string? Error);

    /// <summary>
    /// Runs the ORM experiment on SQLite (<paramref name="connectionString"/> null: a file in
    /// <paramref name="directory"/>) or PostgreSQL (a fresh database with a random name, dropped after).
    /// </summary>
    public static async Task<DataReport> RunAsync(string? connectionString, string directory, int authors, int booksPerAuthor, int concurrency, CancellationToken cancellationToken)
    {
        var postgres = connectionString is not null;
        string target;
        if (postgres)
        {
            var builder = PostgresTarget.Parse(connectionString!);
            builder.Database = PostgresExperiments.TableName("braid_orm");
            builder.MaxPoolSize = Math.Max(concurrency, 2) + 2;
            target = builder.ConnectionString;
        }
        else
        {
            target = Path.Combine(directory, "orm.db");
        }

        var options = LibraryContext.Options(postgres, target);
        var factory = new PooledDbContextFactory<LibraryContext>(options);
        var cases = new List<DataCase>();
        var notes = new List<string>();
        await using (var setup = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            await setup.Database.EnsureDeletedAsync(cancellationToken).ConfigureAwait(false);
            await setup.Database.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var clock = Stopwatch.StartNew();
            await using (var create = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
            {
                for (var a = 1; a <= authors; a++)
                {
                    var author = new Author { Name = $"author-{a}" };
                    for (var b = 1; b <= booksPerAuthor; b++)
                    {
                        author.Books.Add(new Book { Title = $"book-{a}-{b}", Year = 1900 + b });
                    }

                    create.Authors.Add(author);
                }

                await create.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }

            clock.Stop();
            cases.Add(Case("create (one SaveChanges)", clock.Elapsed, await CountsAsync(factory, cancellationToken).ConfigureAwait(false)));

            clock.Restart();
            await using (var update = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
            {
                var first = await update.Authors.Include(a => a.Books).OrderBy(a => a.Id).FirstAsync(cancellationToken).ConfigureAwait(false);
                first.Name += " (revised)";
                foreach (var book in first.Books)
                {
                    book.Year += 100; // tracked changes, saved together
                }

                await update.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await update.Books.Where(b => b.AuthorId != first.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.Year, b => b.Year + 100), cancellationToken).ConfigureAwait(false);
            }

            clock.Stop();
            cases.Add(Case("update (tracked, then ExecuteUpdate)", clock.Elapsed, await CountsAsync(factory, cancellationToken).ConfigureAwait(false)));

            clock.Restart();
            await using (var delete = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
            {
                var last = await delete.Authors.OrderByDescending(a => a.Id).FirstAsync(cancellationToken).ConfigureAwait(false);
                delete.Authors.Remove(last); // its books go with it (cascade)
                await delete.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }

            clock.Stop();
            cases.Add(Case("delete one author (cascade)", clock.Elapsed, await CountsAsync(factory, cancellationToken).ConfigureAwait(false)));

            clock.Restart();
            long streamed = 0, years = 0;
            await using (var read = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
            {
                await foreach (var book in read.Books.AsNoTracking().OrderBy(b => b.Id).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    streamed++;
                    years += book.Year;
                }
            }

            clock.Stop();
            cases.Add(new DataCase("stream books (AsNoTracking, AsAsyncEnumerable)", [
                new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
                new Metric("books", streamed, ""),
                new Metric("sum year", years, ""),
            ]));

            clock.Restart();
            var perOperation = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async i =>
            {
                await using var context = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
                return await context.Books.CountAsync(b => b.Year > 1900 + (i % booksPerAuthor), cancellationToken).ConfigureAwait(false);
            })).ConfigureAwait(false);
            clock.Stop();
            cases.Add(new DataCase($"{concurrency} queries at once, a context each (pooled factory)", [
                new Metric("elapsed", clock.Elapsed.TotalMilliseconds, "ms"),
                new Metric("succeeded", perOperation.Length, ""),
            ]));

            var shared = await SharedContextAsync(factory, postgres, cancellationToken).ConfigureAwait(false);
            cases.Add(new DataCase("two operations started together on one context", [new Metric("failed", shared.Error is null ? 0 : 1, "")]));
            notes.Add(shared.Error is { } error
                ? $"One context shared by two operations: {error}"
                : "One context shared by two operations: no error, because SQLite's async calls finish before they return, so the two never overlap; the same code fails on PostgreSQL.");
        }
        finally
        {
            await using var teardown = await factory.CreateDbContextAsync(CancellationToken.None).ConfigureAwait(false);
            await teardown.Database.EnsureDeletedAsync(CancellationToken.None).ConfigureAwait(false);
            if (postgres)
            {
                NpgsqlConnection.ClearAllPools();
            }
        }

        return new DataReport(
            "orm",
            postgres ? PostgresTarget.Mask(target) : "SQLite, a fresh database in a temporary folder",
            new Dictionary<string, string>
            {
                ["provider"] = postgres ? "Npgsql.EntityFrameworkCore.PostgreSQL" : "Microsoft.EntityFrameworkCore.Sqlite",
                ["EF Core"] = typeof(DbContext).Assembly.GetName().Version!.ToString(3),
                ["authors"] = authors.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["books per author"] = booksPerAuthor.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            cases,
            notes);
    }

    /// <summary>Starts a slow statement and, without awaiting it, a query on the same context.</summary>
    internal static async Task<SharedContext> SharedContextAsync(IDbContextFactory<LibraryContext> factory, bool postgres, CancellationToken cancellationToken)
    {
        await using var context = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var slow = postgres ? "SELECT pg_sleep(0.2)" : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT count(*) FROM c";
        var first = context.Database.ExecuteSqlRawAsync(slow, cancellationToken);
        try
        {
            await context.Books.CountAsync(cancellationToken).ConfigureAwait(false);
            return new SharedContext(null);
        }
        catch (InvalidOperationException e)
        {
            return new SharedContext($"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            await first.ConfigureAwait(false);
        }
    }

    private static async Task<(int Authors, int Books, long Years)> CountsAsync(IDbContextFactory<LibraryContext> factory, CancellationToken cancellationToken)
    {
        await using var context = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var authors = await context.Authors.CountAsync(cancellationToken).ConfigureAwait(false);
        var books = await context.Books.CountAsync(cancellationToken).ConfigureAwait(false);
        var years = await context.Books.SumAsync(b => (long)b.Year, cancellationToken).ConfigureAwait(false);
        return (authors, books, years);
    }

    private static DataCase Case(string name, TimeSpan elapsed, (int Authors, int Books, long Years) counts) =>
        new(name, [
            new Metric("elapsed", elapsed.TotalMilliseconds, "ms"),
            new Metric("authors", counts.Authors, ""),
            new Metric("books", counts.Books, ""),
            new Metric("sum year", counts.Years, ""),
        ]);
}
