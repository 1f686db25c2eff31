namespace Braid.Web.Time;

/// <summary>One answer of an NTP server, as <see cref="NtpClient.QueryAsync"/> read it (RFC 5905 section 8).</summary>
/// <param name="ServerTime">The server's transmit timestamp: the time it sent its reply.</param>
/// <param name="Offset">The estimated offset of the server's clock from the client's: ((T2 - T1) + (T3 - T4)) / 2.</param>
/// <param name="RoundTrip">The round-trip delay without the server's processing time: (T4 - T1) - (T3 - T2).</param>
/// <param name="Stratum">The server's stratum (1 for a primary server, such as the one <see cref="NtpServer"/> runs).</param>
public readonly record struct NtpReading(DateTimeOffset ServerTime, TimeSpan Offset, TimeSpan RoundTrip, int Stratum);
