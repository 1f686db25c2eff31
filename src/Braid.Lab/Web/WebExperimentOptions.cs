using System.Globalization;

namespace Braid.Lab.Web;

/// <summary>
/// What <see cref="WebExperiment.RunAsync"/> does: which endpoints of <c>braid serve</c> it loads, with
/// how much work per request, and the one load every endpoint gets (docs/lab.md, "The web experiment").
/// </summary>
public sealed record WebExperimentOptions
{
    /// <summary>The endpoints <c>braid serve</c> has, in the default order.</summary>
    public static IReadOnlyList<string> KnownEndpoints { get; } = ["blocking", "async", "sync-over-async", "cpu"];

    /// <summary>
    /// Small sizes for CI and a first look: 3 s of load per endpoint at 50 requests a second on 10
    /// connections. An endpoint that starves its pool still takes longer: every request due is sent
    /// and waited for (up to the load's 10 s timeout).
    /// </summary>
    public static WebExperimentOptions Quick { get; } = new() { Duration = TimeSpan.FromSeconds(3), Rate = 50, Connections = 10 };

    /// <summary>The endpoints to load, in order. Default: blocking, async, sync-over-async, cpu.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = KnownEndpoints;

    /// <summary>The work of one request (<c>?ms=</c>): how long each endpoint sleeps, awaits, blocks or computes. Default 20 ms.</summary>
    public TimeSpan Work { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The open model's arrival rate, requests a second, the same for every endpoint. Default 100.</summary>
    public double Rate { get; init; } = 100;

    /// <summary>The load's connections, at most this many requests in flight. Default 50.</summary>
    public int Connections { get; init; } = 50;

    /// <summary>How long each endpoint is loaded. Default 10 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the server's thread pool is read (its <c>/metrics</c>). Default 500 ms (the exporter may cache a scrape for 300 ms).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The command line that starts <c>braid serve</c> (it must print its URL as the first line of its
    /// standard output). Null: this program with the verb <c>serve</c> (see <see cref="LabWorker.DefaultCommand"/>).
    /// </summary>
    public IReadOnlyList<string>? ServerCommand { get; init; }

    /// <summary>Checks the options. Never throws.</summary>
    /// <returns>Null when they are valid, otherwise one sentence about the first problem.</returns>
    public string? Validate()
    {
        var unknown = Endpoints?.FirstOrDefault(e => !KnownEndpoints.Contains(e));
        return Endpoints is null || Endpoints.Count == 0 ? "name at least one endpoint"
            : unknown is not null ? $"'{unknown}' is not one of {string.Join(", ", KnownEndpoints)}"
            : Endpoints.Distinct().Count() != Endpoints.Count ? "an endpoint is named twice"
            : !(Work >= TimeSpan.Zero && Work <= TimeSpan.FromSeconds(10)) ? Invariant($"the work must be between 0 and 10000 ms, not {Work.TotalMilliseconds}")
            : !(Rate > 0 && Rate <= 100_000) ? Invariant($"the rate must be more than 0 and at most 100000 requests a second, not {Rate}")
            : Connections is < 1 or > 10_000 ? Invariant($"connections must be between 1 and 10000, not {Connections}")
            : !(Duration >= TimeSpan.FromSeconds(1) && Duration <= TimeSpan.FromHours(1)) ? Invariant($"the duration must be between 1 and 3600 s, not {Duration.TotalSeconds}")
            : PollInterval < TimeSpan.FromMilliseconds(10) ? "the poll interval must be at least 10 ms"
            : ServerCommand is { Count: 0 } ? "the server command is empty"
            : null;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
