using System.Globalization;
using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Braid.Web.Events;

/// <summary>
/// One client's <c>/events</c> response (docs/web.md, "The event stream"): a <c>retry</c> field,
/// then a reset or the replay after <c>Last-Event-ID</c>, then live events and heartbeat comments
/// until the client leaves, the hub drops it, or the server stops. Events are framed by
/// <see cref="SseFormatter"/>; the retry field and the heartbeat comment, which it does not write
/// (it frames items, and a comment is not one), are two constant lines.
/// </summary>
internal sealed class EventStream(EventHub hub, EventStreamSettings settings, ILogger logger, CancellationToken serverStopping) : IResult
{
    private static readonly ReadOnlyMemory<byte> HeartbeatComment = ": heartbeat\n\n"u8.ToArray();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var lastEventId = httpContext.Request.Headers["Last-Event-ID"].ToString();
        using var subscriber = hub.Subscribe(lastEventId.Length == 0 ? null : lastEventId, settings.ClientBufferSize);
        using var heartbeat = settings.TimeProvider.CreateTimer(static s => ((EventSubscriber)s!).TryHeartbeat(), subscriber, settings.HeartbeatInterval, settings.HeartbeatInterval);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, subscriber.Dropped, serverStopping);
        var body = response.Body;
        try
        {
            var retry = $"retry: {(long)settings.RetryInterval.TotalMilliseconds}\n\n";
            await body.WriteAsync(System.Text.Encoding.ASCII.GetBytes(retry), stop.Token).ConfigureAwait(false);
            if (subscriber.Reset is { } reset)
            {
                await WriteAsync(body, reset, stop.Token).ConfigureAwait(false);
            }

            foreach (var record in subscriber.Replay)
            {
                await WriteAsync(body, record, stop.Token).ConfigureAwait(false);
            }

            await body.FlushAsync(stop.Token).ConfigureAwait(false);
            var reader = subscriber.Reader;
            while (await reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                // Drain what is buffered, then flush once.
                while (reader.TryRead(out var record))
                {
                    await WriteAsync(body, record, stop.Token).ConfigureAwait(false);
                }

                await body.FlushAsync(stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client left, was dropped, or the server is stopping: all end the response here.
        }
        finally
        {
            hub.Unsubscribe(subscriber);
        }

        if (subscriber.DropReason is not null)
        {
            // The hub logged the reason; closing the connection frees what the client left unread.
            httpContext.Abort();
        }
        else if (httpContext.RequestAborted.IsCancellationRequested)
        {
            logger.LogDebug("event stream: client {Client} disconnected", subscriber.Id);
        }
    }

    private static Task WriteAsync(Stream body, EventRecord record, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(record, EventRecord.Heartbeat))
        {
            return body.WriteAsync(HeartbeatComment, cancellationToken).AsTask();
        }

        var item = new SseItem<string>(record.Data, record.Type) { EventId = record.Id.ToString(CultureInfo.InvariantCulture) };
        return SseFormatter.WriteAsync(OneAsync(item), body, cancellationToken);
    }

#pragma warning disable CS1998 // an async iterator of one item, for SseFormatter
    private static async IAsyncEnumerable<SseItem<string>> OneAsync(SseItem<string> item)
#pragma warning restore CS1998
    {
        yield return item;
    }
}
