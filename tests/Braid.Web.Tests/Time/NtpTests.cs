using System.Net;
using System.Net.Sockets;
using Braid.Time;
using Braid.Web.Time;

namespace Braid.Web.Tests.Time;

public sealed class NtpTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static CancellationToken Guard() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    [Fact]
    public void Timestamps_round_trip_to_within_a_tick()
    {
        foreach (var time in new[] { Start, Start.AddTicks(1), new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2036, 2, 7, 6, 28, 15, TimeSpan.Zero) })
        {
            var back = NtpPacket.FromTimestamp(NtpPacket.ToTimestamp(time));
            Assert.InRange((time - back).Ticks, 0, 1);
        }

        // 1970-01-01 is 2,208,988,800 s after the NTP epoch (RFC 5905 figure 4).
        Assert.Equal(2_208_988_800UL << 32, NtpPacket.ToTimestamp(new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public async Task A_query_reads_the_services_clock_with_real_packets()
    {
        var clock = new VirtualClock(Start);
        await using var server = NtpServer.Start(timeProvider: clock);
        Assert.True(IPAddress.IsLoopback(server.EndPoint.Address));
        Assert.NotEqual(0, server.EndPoint.Port);

        var reading = await NtpClient.QueryAsync(server.EndPoint, clock, Guard());

        Assert.InRange((reading.ServerTime - Start).Duration().Ticks, 0, 1);
        Assert.InRange(reading.Offset.Duration().Ticks, 0, 1);
        Assert.InRange(reading.RoundTrip.Duration().Ticks, 0, 2);
        Assert.Equal(1, reading.Stratum);
        Assert.Equal(1, server.Answered);
    }

    [Fact]
    public async Task The_offset_is_the_difference_between_the_clocks()
    {
        var serverClock = new VirtualClock(Start.AddSeconds(30));
        var clientClock = new VirtualClock(Start);
        await using var server = NtpServer.Start(timeProvider: serverClock);

        var reading = await NtpClient.QueryAsync(server.EndPoint, clientClock, Guard());

        Assert.InRange((reading.Offset - TimeSpan.FromSeconds(30)).Duration().Ticks, 0, 2);
    }

    [Fact]
    public async Task Truncated_and_malformed_packets_get_no_reply_and_the_service_keeps_answering()
    {
        await using var server = NtpServer.Start(timeProvider: new VirtualClock(Start));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server.EndPoint);

        var bad = new List<byte[]>
        {
            Array.Empty<byte>(),                    // empty datagram
            new byte[] { 0x23 },                    // one byte of a request
            Request(length: 47),                    // one byte short
            Request(length: 50),                    // not whole 32-bit words after the header
            Request(length: 2000),                  // longer than any request
            Request(mode: 4),                       // a server reply, not a request
            Request(mode: 1),                       // symmetric active
            Request(version: 0),
            Request(version: 5),
        };
        foreach (var packet in bad)
        {
            await socket.SendAsync(packet, SocketFlags.None);
        }

        var good = Request(length: 52, transmit: 0x1122334455667788UL); // a header and one word of extension: answered
        await socket.SendAsync(good, SocketFlags.None);
        var reply = new byte[100];
        var length = await socket.ReceiveAsync(reply, SocketFlags.None, Guard());

        // UDP on loopback keeps order, and the service reads one packet at a time: every bad packet was
        // seen before the good one was answered, and none was answered.
        Assert.Equal(NtpPacket.Size, length);
        Assert.Equal(0x1122334455667788UL, NtpPacket.ReadTimestamp(reply, NtpPacket.OriginTimestampOffset));
        Assert.Equal(NtpPacket.ModeServer, NtpPacket.ModeOf(reply));
        Assert.Equal(4, NtpPacket.VersionOf(reply));
        Assert.Equal(bad.Count, server.Refused);
        Assert.Equal(1, server.Answered);
    }

    [Fact]
    public async Task A_reply_keeps_the_clients_version()
    {
        await using var server = NtpServer.Start(timeProvider: new VirtualClock(Start));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server.EndPoint);
        await socket.SendAsync(Request(version: 3), SocketFlags.None);
        var reply = new byte[100];
        await socket.ReceiveAsync(reply, SocketFlags.None, Guard());
        Assert.Equal(3, NtpPacket.VersionOf(reply));
    }

    [Fact]
    public async Task The_client_ignores_replies_that_are_truncated_malformed_or_for_another_request()
    {
        using var fake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var clock = new VirtualClock(Start);
        var query = NtpClient.QueryAsync((IPEndPoint)fake.LocalEndPoint!, clock, Guard());

        var request = new byte[100];
        var from = await fake.ReceiveFromAsync(request, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
        Assert.Equal(NtpPacket.Size, from.ReceivedBytes);
        Assert.Equal(NtpPacket.ModeClient, NtpPacket.ModeOf(request));
        var transmit = NtpPacket.ReadTimestamp(request, NtpPacket.TransmitTimestampOffset);

        byte[] Reply(DateTimeOffset time, ulong origin, int stratum = 1, int mode = NtpPacket.ModeServer)
        {
            var reply = new byte[NtpPacket.Size];
            NtpPacket.WriteReply(request, reply, time, time);
            reply[0] = NtpPacket.First(0, 4, mode);
            reply[1] = (byte)stratum;
            NtpPacket.WriteTimestamp(reply, NtpPacket.OriginTimestampOffset, origin);
            return reply;
        }

        await fake.SendToAsync(Reply(Start.AddDays(1), transmit)[..40], SocketFlags.None, from.RemoteEndPoint);   // truncated
        await fake.SendToAsync(Reply(Start.AddDays(2), transmit + 1), SocketFlags.None, from.RemoteEndPoint);     // another request's
        await fake.SendToAsync(Reply(Start.AddDays(3), transmit, stratum: 0), SocketFlags.None, from.RemoteEndPoint); // kiss-o'-death
        await fake.SendToAsync(Reply(Start.AddDays(4), transmit, mode: 3), SocketFlags.None, from.RemoteEndPoint);    // not a server
        Assert.False(query.IsCompleted);
        await fake.SendToAsync(Reply(Start.AddDays(5), transmit), SocketFlags.None, from.RemoteEndPoint);

        var reading = await query;
        Assert.InRange((reading.ServerTime - Start.AddDays(5)).Duration().Ticks, 0, 1);
    }

    [Fact]
    public async Task A_query_to_a_closed_port_fails_instead_of_waiting()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var error = await Assert.ThrowsAsync<SocketException>(() => NtpClient.QueryAsync(new IPEndPoint(IPAddress.Loopback, port), TimeProvider.System, Guard()));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact]
    public async Task A_query_without_an_answer_ends_with_its_token()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var cancel = new CancellationTokenSource();
        var query = NtpClient.QueryAsync((IPEndPoint)silent.LocalEndPoint!, TimeProvider.System, cancel.Token);
        await silent.ReceiveFromAsync(new byte[100], SocketFlags.None, new IPEndPoint(IPAddress.Any, 0)); // the request arrived
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => query);
    }

    private static byte[] Request(int length = NtpPacket.Size, int version = 4, int mode = NtpPacket.ModeClient, ulong transmit = 42)
    {
        var packet = new byte[length];
        packet[0] = NtpPacket.First(0, version, mode);
        if (length >= NtpPacket.Size)
        {
            NtpPacket.WriteTimestamp(packet, NtpPacket.TransmitTimestampOffset, transmit);
        }

        return packet;
    }
}
