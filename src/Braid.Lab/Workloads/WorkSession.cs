using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Braid.Lab.Workloads;

/// <summary>
/// A built-in workload's session: task <c>i</c> of the workload (<see cref="BuiltInWorkload"/>) on
/// this session's work functions, which the blocking and the async form share: they fetch the same
/// URL, parse with the same function, store through the same writer and compute the same values. Each
/// session has its own HTTP client and store, so no model inherits another's (design rule 85).
/// Failures of a task become a failed <see cref="TaskOutcome"/>; only cancellation is thrown.
/// </summary>
/// <remarks>
/// Awaits here deliberately keep the caller's context (no ConfigureAwait(false)): on the loop model
/// every continuation must come back to the loop's thread, or the loop would not be single-threaded.
/// </remarks>
internal sealed class WorkSession : LabSession
{
    private readonly BuiltInWorkload _workload;
    private readonly HttpClient? _http;
    private readonly RecordStore? _store;

    public WorkSession(WorkloadSpec spec, string name)
    {
        Spec = spec;
        _workload = spec.Resolve();
        _http = spec.ServerUrl is null
            ? null
            : new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false }) { Timeout = spec.RequestTimeout };
        if (_workload.MakesRequests)
        {
            _store = new RecordStore(Path.Combine(spec.WorkDirectory, $"store-{name}.db"));
        }
    }

    public WorkloadSpec Spec { get; }

    public override TaskOutcome Run(int index, CancellationToken cancellationToken) => _workload.Run(this, index, cancellationToken);

    public override ValueTask<TaskOutcome> RunAsync(int index, CancellationToken cancellationToken) => _workload.RunAsync(this, index, cancellationToken);

    /// <summary>Flushes the store and counts its rows; null for workloads without a store.</summary>
    public override async Task<long?> CompleteAsync() => _store is null ? null : await _store.CompleteAsync().ConfigureAwait(false);

    public override ValueTask DisposeAsync()
    {
        _http?.Dispose();
        return _store?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <summary>Fetches record <paramref name="index"/> and stores it, blocking.</summary>
    public TaskOutcome Fetch(int index, CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(index));
            using var response = _http!.Send(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return TaskOutcome.Failure(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}"));
            }

            using var stream = response.Content.ReadAsStream(cancellationToken);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            body = buffer.ToArray();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or OperationCanceledException)
        {
            return RequestFailure(e);
        }

        return Store(body, record => _store!.Add(record, cancellationToken));
    }

    /// <summary>Fetches record <paramref name="index"/> and stores it, awaiting.</summary>
    public async ValueTask<TaskOutcome> FetchAsync(int index, CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(index));
            using var response = await _http!.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return TaskOutcome.Failure(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode}"));
            }

            body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or OperationCanceledException)
        {
            return RequestFailure(e);
        }

        if (!TryParse(body, out var record, out var error))
        {
            return TaskOutcome.Failure(error);
        }

        await _store!.AddAsync(record, cancellationToken);
        return TaskOutcome.Success(Describe(record));
    }

    private static TaskOutcome RequestFailure(Exception e) => TaskOutcome.Failure(e is OperationCanceledException ? "timed out" : e.GetType().Name + ": " + e.Message);

    private static TaskOutcome Store(byte[] body, Action<CityRecord> add)
    {
        if (!TryParse(body, out var record, out var error))
        {
            return TaskOutcome.Failure(error);
        }

        add(record);
        return TaskOutcome.Success(Describe(record));
    }

    private static string Describe(in CityRecord r) =>
        string.Create(CultureInfo.InvariantCulture, $"{r.Id}|{r.GeonameId}|{r.Name}|{r.Country}|{r.Population}");

    /// <summary>The one parser both forms use.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> json, out CityRecord record, out string error)
    {
        record = default;
        try
        {
            var reader = new Utf8JsonReader(json);
            int id = -1;
            long gid = 0, population = 0;
            string? name = null, country = null;
            double lat = double.NaN, lon = double.NaN;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                var property = reader.GetString();
                reader.Read();
                switch (property)
                {
                    case "id": id = reader.GetInt32(); break;
                    case "geonameId": gid = reader.GetInt64(); break;
                    case "name": name = reader.GetString(); break;
                    case "country": country = reader.GetString(); break;
                    case "lat": lat = reader.GetDouble(); break;
                    case "lon": lon = reader.GetDouble(); break;
                    case "population": population = reader.GetInt64(); break;
                    default: reader.Skip(); break;
                }
            }

            if (id < 0 || name is null || country is null || double.IsNaN(lat) || double.IsNaN(lon))
            {
                error = "incomplete record";
                return false;
            }

            record = new CityRecord(id, gid, name, country, lat, lon, population);
            error = "";
            return true;
        }
        catch (JsonException e)
        {
            error = "bad JSON: " + e.Message;
            return false;
        }
    }

    private string Url(int index) => string.Create(CultureInfo.InvariantCulture, $"{Spec.ServerUrl}/records/{index}");

    private string ConnectionString() => new SqliteConnectionStringBuilder
    {
        DataSource = Spec.DatabasePath,
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = Spec.PooledConnections,
    }.ToString();

    /// <summary>Runs query <paramref name="index"/> against the city database, blocking.</summary>
    public TaskOutcome Query(int index, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = new SqliteConnection(ConnectionString());
        connection.Open();
        using var command = DbFixture.QueryCommand(connection, index);
        using var reader = command.ExecuteReader();
        return DbFixture.ReadResult(reader);
    }

    // Microsoft.Data.Sqlite's async methods complete synchronously: this form awaits, but never yields.
    public async ValueTask<TaskOutcome> QueryAsync(int index, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString());
        await using (connection)
        {
            await connection.OpenAsync(cancellationToken);
            using var command = DbFixture.QueryCommand(connection, index);
            var reader = await command.ExecuteReaderAsync(cancellationToken);
            await using (reader)
            {
                return DbFixture.ReadResult(reader);
            }
        }
    }
}
