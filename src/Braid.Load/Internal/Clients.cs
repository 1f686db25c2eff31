using System.Net;
using System.Net.Http;

namespace Braid.Load.Internal;

/// <summary>The one HTTP client of a run: a connection per request in flight, no proxy, no redirects, no cookies, no decompression.</summary>
internal static class Clients
{
    public static HttpClient Create(int connections, TimeSpan connectTimeout, TimeSpan? requestTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false, // a proxy from the environment would measure the proxy, and could leave loopback
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        return new HttpClient(handler, disposeHandler: true)
        {
            Timeout = requestTimeout ?? Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version11,
        };
    }
}
