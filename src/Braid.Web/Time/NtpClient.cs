using System.Net;
using System.Net.Sockets;

namespace Braid.Web.Time;

/// <summary>Asks an NTP server for the time with one real RFC 5905 version 4 client packet over UDP.</summary>
public static class NtpClient
{
    /// <summary>
    /// Sends one client request (mode 3) to <paramref name="server"/> and waits for its reply: a server
    /// packet (mode 4) whose origin timestamp is the request's transmit timestamp. Replies that are
    /// truncated, malformed, of another mode or for another request are ignored, and the wait goes on.
    /// </summary>
    /// <param name="server">The server's address and port.</param>
    /// <param name="timeProvider">The client's clock (T1 and T4), also written into the request.</param>
    /// <param name="cancellationToken">The only timeout (docs/design.md rule 135): UDP may lose the request or the reply, so callers pass a deadline.</param>
    /// <returns>The reading. Never completes synchronously (it waits for a datagram).</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled before a valid reply came.</exception>
    /// <exception cref="SocketException">The network refused the exchange (for example, no service on that port).</exception>
    public static async Task<NtpReading> QueryAsync(IPEndPoint server, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(timeProvider);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // A connected UDP socket takes datagrams from the server only, and reports an ICMP "port
        // unreachable" as an error instead of a silent wait.
        await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);

        var request = new byte[NtpPacket.Size];
        request[0] = NtpPacket.First(0, NtpPacket.Version, NtpPacket.ModeClient);
        var sent = timeProvider.GetUtcNow();
        var transmit = NtpPacket.ToTimestamp(sent);
        NtpPacket.WriteTimestamp(request, NtpPacket.TransmitTimestampOffset, transmit);
        await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);

        var reply = new byte[NtpPacket.MaxSize];
        while (true)
        {
            var length = await socket.ReceiveAsync(reply, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var received = timeProvider.GetUtcNow();
            if (Read(reply.AsSpan(0, length), transmit, sent, received) is { } reading)
            {
                return reading;
            }
        }
    }

    /// <summary>The reading in <paramref name="packet"/> when it is a valid reply to the request sent with <paramref name="transmit"/>; otherwise null.</summary>
    internal static NtpReading? Read(ReadOnlySpan<byte> packet, ulong transmit, DateTimeOffset sent, DateTimeOffset received)
    {
        if (packet.Length < NtpPacket.Size
            || NtpPacket.ModeOf(packet) != NtpPacket.ModeServer
            || NtpPacket.VersionOf(packet) is < 1 or > NtpPacket.Version
            || NtpPacket.Stratum(packet) == 0 // a kiss-o'-death packet carries no time
            || NtpPacket.LeapIndicator(packet) == 3 // the server's clock is not synchronized
            || NtpPacket.ReadTimestamp(packet, NtpPacket.OriginTimestampOffset) != transmit)
        {
            return null;
        }

        var t2 = NtpPacket.FromTimestamp(NtpPacket.ReadTimestamp(packet, NtpPacket.ReceiveTimestampOffset));
        var t3 = NtpPacket.FromTimestamp(NtpPacket.ReadTimestamp(packet, NtpPacket.TransmitTimestampOffset));
        var offset = ((t2 - sent) + (t3 - received)) / 2;
        var roundTrip = (received - sent) - (t3 - t2);
        return new NtpReading(t3, offset, roundTrip, NtpPacket.Stratum(packet));
    }
}
