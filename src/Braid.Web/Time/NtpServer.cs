using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Braid.Web.Time;

/// <summary>
/// A small NTP-format time service on UDP: answers each RFC 5905 client request (48-byte header,
/// version 1 to 4, mode 3) with a stratum-1 server reply read from its <see cref="TimeProvider"/>.
/// Truncated, malformed and non-client packets are counted and dropped without a reply; the service
/// keeps serving. It is a teaching service for loopback, not a time source for a network.
/// </summary>
public sealed class NtpServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private long _answered;
    private long _refused;

    private NtpServer(Socket socket, TimeProvider timeProvider, ILogger logger)
    {
        _socket = socket;
        _timeProvider = timeProvider;
        _logger = logger;
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _serving = ServeAsync(_stop.Token);
    }

    /// <summary>The address and port the service answers on.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Requests answered so far.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Packets dropped without a reply so far (truncated, malformed, or not a client request).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Binds a UDP socket and starts answering; completes synchronously.</summary>
    /// <param name="endPoint">Where to listen; port 0 takes a free port (read it from <see cref="EndPoint"/>). Default: 127.0.0.1, a free port.</param>
    /// <param name="timeProvider">The clock the replies carry (default: the system clock).</param>
    /// <param name="logger">Where refused packets are logged at debug level (default: nowhere).</param>
    /// <returns>The running service; dispose it to stop.</returns>
    /// <exception cref="SocketException">The address cannot be bound (in use, or not local).</exception>
    public static NtpServer Start(IPEndPoint? endPoint = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        endPoint ??= new IPEndPoint(IPAddress.Loopback, 0);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(endPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new NtpServer(socket, timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    /// <summary>Stops answering and waits until the receive loop has ended.</summary>
    /// <returns>A task that completes when the socket is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task ServeAsync(CancellationToken cancellationToken)
    {
        await Task.Yield(); // the constructor returns before the first receive
        var buffer = new byte[NtpPacket.MaxSize + 1]; // one byte more than any accepted packet, so a longer one is seen as longer
        var reply = new byte[NtpPacket.Size];
        EndPoint anyone = new IPEndPoint(EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, anyone, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (!cancellationToken.IsCancellationRequested)
            {
                // An ICMP error for an earlier reply (the client went away): not the service's problem.
                _logger.LogDebug("time service: receive failed: {Error}", e.SocketErrorCode);
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var arrived = _timeProvider.GetUtcNow();
            var packet = buffer.AsSpan(0, received.ReceivedBytes);
            if (NtpPacket.RequestProblem(packet) is { } problem)
            {
                Interlocked.Increment(ref _refused);
                _logger.LogDebug("time service: refused a packet from {Client}: {Problem}", received.RemoteEndPoint, problem);
                continue;
            }

            NtpPacket.WriteReply(packet, reply, arrived, _timeProvider.GetUtcNow());
            try
            {
                await _socket.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _answered);
            }
            catch (SocketException e) when (!cancellationToken.IsCancellationRequested)
            {
                _logger.LogDebug("time service: reply to {Client} failed: {Error}", received.RemoteEndPoint, e.SocketErrorCode);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
