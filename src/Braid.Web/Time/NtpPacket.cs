using System.Buffers.Binary;

namespace Braid.Web.Time;

/// <summary>
/// The 48-byte NTP header of RFC 5905 (version 4), read and written in network byte order. Only the
/// fields a simple client and server use are named; extension fields and MACs are not interpreted.
/// </summary>
internal static class NtpPacket
{
    /// <summary>The size of the header, and of the smallest valid packet.</summary>
    public const int Size = 48;

    /// <summary>The largest packet the time service reads; anything longer is refused.</summary>
    public const int MaxSize = 1024;

    /// <summary>Mode 3: a client's request.</summary>
    public const int ModeClient = 3;

    /// <summary>Mode 4: a server's reply.</summary>
    public const int ModeServer = 4;

    /// <summary>The version this code speaks.</summary>
    public const int Version = 4;

    // Offsets of the fields (RFC 5905 figure 8).
    public const int ReferenceTimestampOffset = 16;
    public const int OriginTimestampOffset = 24;
    public const int ReceiveTimestampOffset = 32;
    public const int TransmitTimestampOffset = 40;

    private static readonly DateTimeOffset Era0 = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static int LeapIndicator(ReadOnlySpan<byte> packet) => packet[0] >> 6;

    public static int VersionOf(ReadOnlySpan<byte> packet) => (packet[0] >> 3) & 0b111;

    public static int ModeOf(ReadOnlySpan<byte> packet) => packet[0] & 0b111;

    public static int Stratum(ReadOnlySpan<byte> packet) => packet[1];

    /// <summary>The first byte: leap indicator, version and mode.</summary>
    public static byte First(int leap, int version, int mode) => (byte)((leap << 6) | (version << 3) | mode);

    /// <summary>The 64-bit NTP timestamp (seconds since 1900 in era 0, then a 32-bit fraction) of <paramref name="time"/>.</summary>
    public static ulong ToTimestamp(DateTimeOffset time)
    {
        var ticks = (ulong)(time - Era0).Ticks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var fraction = ((ticks % TimeSpan.TicksPerSecond) << 32) / TimeSpan.TicksPerSecond;
        return (seconds << 32) | fraction;
    }

    /// <summary>The time of the NTP timestamp <paramref name="timestamp"/> (era 0: 1900 to 2036).</summary>
    public static DateTimeOffset FromTimestamp(ulong timestamp)
    {
        var seconds = timestamp >> 32;
        var fraction = timestamp & uint.MaxValue;
        var ticks = (seconds * TimeSpan.TicksPerSecond) + ((fraction * TimeSpan.TicksPerSecond) >> 32);
        return Era0 + TimeSpan.FromTicks((long)ticks);
    }

    public static ulong ReadTimestamp(ReadOnlySpan<byte> packet, int offset) => BinaryPrimitives.ReadUInt64BigEndian(packet[offset..]);

    public static void WriteTimestamp(Span<byte> packet, int offset, ulong timestamp) => BinaryPrimitives.WriteUInt64BigEndian(packet[offset..], timestamp);

    /// <summary>Why a packet is not a client request the service answers, or null when it is one.</summary>
    public static string? RequestProblem(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < Size)
        {
            return $"truncated: {packet.Length} bytes, a request has at least {Size}";
        }

        if (packet.Length > MaxSize || (packet.Length - Size) % 4 != 0)
        {
            return $"malformed: {packet.Length} bytes is not a header plus whole 32-bit words of extensions";
        }

        var version = VersionOf(packet);
        if (version is < 1 or > Version)
        {
            return $"malformed: version {version}";
        }

        var mode = ModeOf(packet);
        return mode == ModeClient ? null : $"not a client request: mode {mode}";
    }

    /// <summary>Writes into <paramref name="reply"/> the server's answer to <paramref name="request"/>, received at <paramref name="received"/> and sent at <paramref name="transmit"/>.</summary>
    public static void WriteReply(ReadOnlySpan<byte> request, Span<byte> reply, DateTimeOffset received, DateTimeOffset transmit)
    {
        reply[..Size].Clear();
        reply[0] = First(0, VersionOf(request), ModeServer); // answer in the client's version (RFC 5905 section 9.2)
        reply[1] = 1; // stratum 1: the service reads its own clock
        reply[2] = request[2]; // poll, copied from the request
        reply[3] = unchecked((byte)(sbyte)-20); // precision: about a microsecond
        // Root delay and root dispersion: zero (bytes 4-11). Reference id: "LOCL", the local clock.
        "LOCL"u8.CopyTo(reply[12..]);
        WriteTimestamp(reply, ReferenceTimestampOffset, ToTimestamp(received));
        request.Slice(TransmitTimestampOffset, 8).CopyTo(reply[OriginTimestampOffset..]);
        WriteTimestamp(reply, ReceiveTimestampOffset, ToTimestamp(received));
        WriteTimestamp(reply, TransmitTimestampOffset, ToTimestamp(transmit));
    }
}
