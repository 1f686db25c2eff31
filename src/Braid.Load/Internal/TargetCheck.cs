using System.Net;
using System.Net.Sockets;

namespace Braid.Load.Internal;

/// <summary>Checks a target before any load (docs/design.md rule 143): loopback unless allowed, and something listening.</summary>
internal static class TargetCheck
{
    /// <summary>Null when <paramref name="target"/> is loopback or <paramref name="allowRemote"/> is set; otherwise why not. Reads only the URL: no name is resolved, no socket opened.</summary>
    public static string? Remote(Uri target, bool allowRemote)
    {
        if (allowRemote || IsLoopback(target))
        {
            return null;
        }

        return $"{target.Host} is not a loopback address; load on another host needs an explicit permission (--allow-remote)";
    }

    /// <summary>Whether the URL's host is loopback by its text alone: <c>localhost</c>, 127.0.0.0/8 or ::1.</summary>
    public static bool IsLoopback(Uri target)
    {
        var host = target.IdnHost.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Opens and closes one TCP connection to the target; null when it opened, otherwise one sentence about why not.</summary>
    /// <remarks>Cancellation stops the attempt and throws <see cref="OperationCanceledException"/>.</remarks>
    public static async Task<string?> ProbeAsync(Uri target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var where = $"{target.Host}:{target.Port}";
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(target.IdnHost.Trim('[', ']'), target.Port), limit.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"could not connect to {where} within {timeout.TotalSeconds:0.#} s";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"nothing listens on {where} (connection refused)",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"the host {target.Host} was not found",
                _ => $"could not connect to {where} ({e.SocketErrorCode})",
            };
        }
    }
}
