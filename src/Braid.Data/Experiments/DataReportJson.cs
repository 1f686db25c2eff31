using System.Text.Json;
using System.Text.Json.Serialization;

namespace Braid.Data.Experiments;

/// <summary>A <see cref="DataReport"/> as JSON (camelCase; the connection string's password is already masked).</summary>
internal static class DataReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The reports as one JSON document: <c>{"reports": [...]}</c>.</summary>
    public static string Write(IReadOnlyList<DataReport> reports) => JsonSerializer.Serialize(new { reports }, Options) + "\n";
}
