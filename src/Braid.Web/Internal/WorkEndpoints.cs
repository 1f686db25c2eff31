using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Braid.Web.Internal;

/// <summary>
/// <c>/blocking</c>, <c>/async</c>, <c>/sync-over-async</c> and <c>/cpu</c>: the same wait of
/// <c>?ms=</c> milliseconds (default 20, at most 10,000) done four ways, each answering a small JSON
/// object with the thread pool's state as the request ended (docs/design.md rule 131).
/// </summary>
internal static class WorkEndpoints
{
    public const int DefaultMilliseconds = 20;
    public const int MaxMilliseconds = 10_000;

    public static void Map(IEndpointRouteBuilder app, TimeProvider timeProvider, EchoHook? hook)
    {
        Add(app, WorkMode.Blocking, hook, (context, ms) =>
        {
            // The point of this endpoint: a pool thread that sleeps (the blocking call a synchronous
            // framework makes). Not a wait on the injected clock, by design (docs/design.md rule 131).
#pragma warning disable RS0030
            Thread.Sleep(ms);
#pragma warning restore RS0030
            return Task.CompletedTask;
        });

        Add(app, WorkMode.Async, hook, (context, ms) => Task.Delay(TimeSpan.FromMilliseconds(ms), timeProvider, context.RequestAborted));

        Add(app, WorkMode.SyncOverAsync, hook, (context, ms) =>
        {
            // The point of this endpoint: a pool thread blocked on a task (sync over async).
#pragma warning disable VSTHRD002, VSTHRD103
            Task.Delay(TimeSpan.FromMilliseconds(ms), timeProvider, context.RequestAborted).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002, VSTHRD103
            return Task.CompletedTask;
        });

        Add(app, WorkMode.CpuBound, hook, (context, ms) =>
        {
            Spin(ms, timeProvider, context.RequestAborted);
            return Task.CompletedTask;
        });
    }

    /// <summary>Computes (a xorshift sequence) until <paramref name="milliseconds"/> have passed on <paramref name="timeProvider"/>, or the request is aborted.</summary>
    internal static ulong Spin(int milliseconds, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var start = timeProvider.GetTimestamp();
        var limit = TimeSpan.FromMilliseconds(milliseconds);
        var x = 88172645463325252UL;
        do
        {
            for (var i = 0; i < 1000; i++)
            {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }
        }
        while (timeProvider.GetElapsedTime(start) < limit && !cancellationToken.IsCancellationRequested);

        return x;
    }

    private static void Add(IEndpointRouteBuilder app, WorkMode mode, EchoHook? hook, Func<HttpContext, int, Task> work)
    {
        var endpoint = app.MapGet("/" + Name(mode), (Func<HttpContext, Task<IResult>>)(context => RunAsync(context, mode, work)));
        if (hook is not null)
        {
            endpoint.AddEndpointFilter((context, next) => hook.AroundAsync(context, next, mode));
        }
    }

    private static async Task<IResult> RunAsync(HttpContext context, WorkMode mode, Func<HttpContext, int, Task> work)
    {
        var text = context.Request.Query["ms"].ToString();
        var ms = DefaultMilliseconds;
        if (text.Length > 0 && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ms) || ms > MaxMilliseconds))
        {
            return Results.Text($"ms: '{text}' is not a whole number of milliseconds from 0 to {MaxMilliseconds}\n", statusCode: StatusCodes.Status400BadRequest);
        }

        await work(context, ms).ConfigureAwait(false);
        return Results.Json(new WorkResult(Name(mode), ms, ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount), WebJson.Default.WorkResult);
    }

    internal static string Name(WorkMode mode) => mode switch
    {
        WorkMode.Blocking => "blocking",
        WorkMode.Async => "async",
        WorkMode.SyncOverAsync => "sync-over-async",
        _ => "cpu",
    };
}
