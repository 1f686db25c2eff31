namespace Braid.Data.Orm;

/// <summary>A book by one <see cref="Author"/>.</summary>
internal sealed class Book
{
    public int Id { get; set; }

    public required string Title { get; set; }

    public int Year { get; set; }

    public int AuthorId { get; set; }

    public Author? Author { get; set; }
}
