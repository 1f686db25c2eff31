namespace Braid.Data.Experiments;

/// <summary>One metric of one case: <c>elapsed 12.5 ms</c>.</summary>
internal readonly record struct Metric(string Name, double Value, string Unit);

/// <summary>One case of an experiment (a way of doing the same work) and what it measured.</summary>
internal sealed record DataCase(string Name, IReadOnlyList<Metric> Metrics)
{
    /// <summary>The metric called <paramref name="name"/>; throws when the case has none.</summary>
    public double this[string name] => Metrics.First(m => m.Name == name).Value;
}

/// <summary>
/// What a <c>braid db</c> experiment measured: the connection it used (password masked), the server
/// settings that decide its numbers, one <see cref="DataCase"/> per way of doing the work, and notes.
/// </summary>
internal sealed record DataReport(
    string Experiment,
    string Connection,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<DataCase> Cases,
    IReadOnlyList<string> Notes);
