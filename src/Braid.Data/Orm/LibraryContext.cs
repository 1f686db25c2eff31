using Microsoft.EntityFrameworkCore;

namespace Braid.Data.Orm;

/// <summary>
/// Authors and books. A context is one unit of work and is not thread-safe: one context per operation
/// (docs/design.md rule 156), made by a <see cref="IDbContextFactory{TContext}"/>.
/// </summary>
internal sealed class LibraryContext(DbContextOptions<LibraryContext> options) : DbContext(options)
{
    public DbSet<Author> Authors => Set<Author>();

    public DbSet<Book> Books => Set<Book>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Author>().ToTable("authors").HasMany(a => a.Books).WithOne(b => b.Author).HasForeignKey(b => b.AuthorId).OnDelete(DeleteBehavior.Cascade);
        modelBuilder.Entity<Book>().ToTable("books").HasIndex(b => b.AuthorId);
    }

    /// <summary>Options for SQLite (a file path) or PostgreSQL (a connection string).</summary>
    public static DbContextOptions<LibraryContext> Options(bool postgres, string target) => postgres
        ? new DbContextOptionsBuilder<LibraryContext>().UseNpgsql(target).Options
        : new DbContextOptionsBuilder<LibraryContext>().UseSqlite($"Data Source={target};Pooling=False").Options;
}
