using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Braid.Load.Internal;

/// <summary>Names a failed request's kind, as the results count them: <c>status 503</c>, <c>timeout</c>, <c>connection refused</c>, ...</summary>
internal static class ErrorKinds
{
    public const string Timeout = "timeout";

    /// <summary>The kind of an error status, or null for 1xx, 2xx and 3xx.</summary>
    public static string? OfStatus(HttpStatusCode status) => (int)status >= 400 ? StatusName((int)status) : null;

    /// <summary>The kind of an exception thrown by a request.</summary>
    public static string Of(Exception exception) => exception switch
    {
        TaskCanceledException { InnerException: TimeoutException } => Timeout,
        TimeoutException => Timeout,
        HttpRequestException http => OfHttp(http),
        IOException { InnerException: SocketException socket } => OfSocket(socket.SocketErrorCode),
        IOException => "connection broken",
        SocketException socket => OfSocket(socket.SocketErrorCode),
        _ => exception.GetType().Name,
    };

    private static string OfHttp(HttpRequestException http)
    {
        if (FindSocket(http) is { } socket)
        {
            return OfSocket(socket.SocketErrorCode);
        }

        return http.HttpRequestError switch
        {
            HttpRequestError.ConnectionError => "connection error",
            HttpRequestError.NameResolutionError => "name not resolved",
            HttpRequestError.SecureConnectionError => "TLS error",
            HttpRequestError.ResponseEnded => "response ended early",
            HttpRequestError.InvalidResponse => "invalid response",
            HttpRequestError.HttpProtocolError => "protocol error",
            _ => "request error",
        };
    }

    private static SocketException? FindSocket(Exception exception)
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket;
            }
        }

        return null;
    }

    private static string OfSocket(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => "connection reset",
        SocketError.TimedOut => Timeout,
        SocketError.HostNotFound or SocketError.NoData => "name not resolved",
        SocketError.AddressNotAvailable or SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable => "no local socket",
        _ => "socket " + error,
    };

    // Interned names for the common statuses, so counting one allocates nothing.
    private static readonly string[] Names = Enumerable.Range(0, 600).Select(s => "status " + s).ToArray();

    private static string StatusName(int status) => status is >= 0 and < 600 ? Names[status] : "status " + status;
}
