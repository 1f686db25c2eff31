namespace Braid.Data.Orm;

/// <summary>An author (the book's ORM example, done with EF Core).</summary>
internal sealed class Author
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public List<Book> Books { get; } = [];
}
