using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Braid.Simulation.Tests.Model;

/// <summary>What the stub does with one request: answer with text, fail with a status, or never answer.</summary>
internal abstract record StubReply
{
    public sealed record Answer(string Text) : StubReply;

    public sealed record Status(int Code) : StubReply;

    /// <summary>Calls <paramref name="Arrived"/>, then holds the request until the client gives up.</summary>
    public sealed record Hang(Action Arrived) : StubReply;
}

/// <summary>
/// An OpenAI-compatible chat server on loopback (a real Kestrel on a free port): POST
/// /v1/chat/completions, replying as <c>reply(trader)</c> says for the trader named in the prompt.
/// </summary>
internal sealed partial class StubModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private StubModelServer(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<StubModelServer> StartAsync(Func<int, StubReply> reply)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new StubModelServer(app);
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            Interlocked.Increment(ref server._requests);
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var prompt = string.Join("\n", body.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").ToString()));
            var trader = int.Parse(Trader().Match(prompt).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            switch (reply(trader))
            {
                case StubReply.Answer answer:
                    await context.Response.WriteAsJsonAsync(new
                    {
                        id = "stub",
                        @object = "chat.completion",
                        created = 0,
                        model = "stub",
                        choices = new[] { new { index = 0, message = new { role = "assistant", content = answer.Text }, finish_reason = "stop" } },
                        usage = new { prompt_tokens = 1, completion_tokens = 1, total_tokens = 2 },
                    });
                    break;
                case StubReply.Status status:
                    context.Response.StatusCode = status.Code;
                    await context.Response.WriteAsync("{\"error\":{\"message\":\"stub failure\"}}");
                    break;
                case StubReply.Hang hang:
                    hang.Arrived();
                    try
                    {
                        await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    break;
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/v1/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [GeneratedRegex(@"You are trader (\d+)\.")]
    private static partial Regex Trader();
}
