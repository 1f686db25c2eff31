using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Braid.Lab.Workloads;

/// <summary>
/// The io workload's HTTP API: a real Kestrel server in this process, on 127.0.0.1 and a free port.
/// <c>GET /records/{i}</c> waits the configured latency (plus the record's fixed jitter), then answers
/// one city as JSON, or HTTP 500 for the records the seed picked to fail.
/// </summary>
internal sealed class RecordServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordServer(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The base address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public string Address { get; }

    public static async Task<RecordServer> StartAsync(TimeSpan latency, TimeSpan jitter, double failureRate, int seed, CancellationToken cancellationToken)
    {
        var cities = CityData.Instance.Cities;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.AddServerHeader = false;
            o.Limits.MaxConcurrentConnections = null;
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            var path = context.Request.Path.Value ?? "";
            const string prefix = "/records/";
            if (!path.StartsWith(prefix, StringComparison.Ordinal)
                || !int.TryParse(path.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            var delay = Deterministic.Delay(seed, index, latency, jitter);
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            if (Deterministic.Fails(seed, index, failureRate))
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            var city = cities[RecordIndex(index, cities.Length)];
            context.Response.ContentType = "application/json";
            var writer = new Utf8JsonWriter(context.Response.BodyWriter);
            await using (writer.ConfigureAwait(false))
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", index);
                writer.WriteNumber("geonameId", city.Id);
                writer.WriteString("name", city.Name);
                writer.WriteString("country", city.Country);
                writer.WriteNumber("lat", city.Lat);
                writer.WriteNumber("lon", city.Lon);
                writer.WriteNumber("population", city.Population);
                writer.WriteEndObject();
                await writer.FlushAsync(context.RequestAborted);
            }
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RecordServer(app, address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>Which city record <paramref name="index"/> serves: spread over the dataset by a prime stride.</summary>
    public static int RecordIndex(int index, int count) => (int)((long)index * 7919 % count);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
