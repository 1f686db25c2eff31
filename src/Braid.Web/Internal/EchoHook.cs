using System.Text;
using Microsoft.AspNetCore.Http;

namespace Braid.Web.Internal;

/// <summary>
/// The before/after request hook of the work endpoints: posts to the echo service before the work and
/// after it, the same way the endpoint waits (a blocking send for <c>/blocking</c>, a blocked-on task for
/// <c>/sync-over-async</c>, an await otherwise), and checks the echo (docs/design.md rule 131).
/// </summary>
internal sealed class EchoHook(HttpClient client, Uri echo)
{
    private long _calls;

    /// <summary>Calls made to the echo service.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    public async ValueTask<object?> AroundAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, WorkMode mode)
    {
        var path = context.HttpContext.Request.Path.Value;
        var aborted = context.HttpContext.RequestAborted;
        await CallAsync($"before {path}", mode, aborted).ConfigureAwait(false);
        var result = await next(context).ConfigureAwait(false);
        await CallAsync($"after {path}", mode, aborted).ConfigureAwait(false);
        return result;
    }

    private async ValueTask CallAsync(string message, WorkMode mode, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, echo) { Content = new StringContent(message, Encoding.UTF8) };
        Interlocked.Increment(ref _calls);
        string answer;
        switch (mode)
        {
            case WorkMode.Blocking:
#pragma warning disable VSTHRD103 // the point of the endpoint: a blocking send, as a synchronous framework makes
                using (var response = client.Send(request, cancellationToken))
                {
                    response.EnsureSuccessStatusCode();
                    using var reader = new StreamReader(response.Content.ReadAsStream(cancellationToken));
                    answer = reader.ReadToEnd();
                }

                break;
            case WorkMode.SyncOverAsync:
                // The point of the endpoint: the thread blocks on the task.
#pragma warning disable VSTHRD002
                answer = SendAsync(request, cancellationToken).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002, VSTHRD103
                break;
            default:
                answer = await SendAsync(request, cancellationToken).ConfigureAwait(false);
                break;
        }

        if (answer != message)
        {
            throw new InvalidOperationException($"the echo service answered '{answer}' to '{message}'");
        }
    }

    private async Task<string> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }
}
