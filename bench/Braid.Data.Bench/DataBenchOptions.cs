using System.Globalization;

namespace Braid.Data.Bench;

/// <summary>The harness's sizes: issue 16's by default, small ones with <c>--quick</c>.</summary>
internal sealed record DataBenchOptions
{
    public required string Connection { get; init; }

    public int Queries { get; init; } = 1_000;

    public int Concurrency { get; init; } = 50;

    public int BulkRows { get; init; } = 20_000;

    public int SmallRows { get; init; } = 10_000;

    public int LargeRows { get; init; } = 1_000_000;

    public int PageSize { get; init; } = 1_000;

    public int Repeats { get; init; } = 1;

    /// <summary>Parses the arguments; on bad input writes one line to stderr and returns null.</summary>
    public static DataBenchOptions? Parse(string[] args, string? connection)
    {
        var options = new DataBenchOptions { Connection = connection ?? "" };
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--quick")
            {
                options = options with { Queries = 200, BulkRows = 2_000, SmallRows = 1_000, LargeRows = 100_000 };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                return Bad($"{name}: expects a value");
            }

            var value = args[++i];
            if (name == "--connection")
            {
                options = options with { Connection = value };
                continue;
            }

            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                return Bad($"{name}: '{value}' is not a whole number of at least 1");
            }

            options = name switch
            {
                "--repeats" => options with { Repeats = n },
                "--queries" => options with { Queries = n },
                "--concurrency" => options with { Concurrency = n },
                "--bulk-rows" => options with { BulkRows = n },
                "--small" => options with { SmallRows = n },
                "--large" => options with { LargeRows = n },
                _ => null!,
            };
            if (options is null)
            {
                return Bad($"'{name}' is not an option (--quick, --repeats, --queries, --concurrency, --bulk-rows, --small, --large, --connection)");
            }
        }

        return string.IsNullOrWhiteSpace(options.Connection)
            ? Bad("no PostgreSQL: set BRAID_POSTGRES (eval \"$(bash scripts/postgres-start.sh)\") or pass --connection")
            : options;
    }

    private static DataBenchOptions? Bad(string message)
    {
        Console.Error.WriteLine("Braid.Data.Bench: " + message);
        return null;
    }
}
