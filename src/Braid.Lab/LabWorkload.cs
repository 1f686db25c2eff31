namespace Braid.Lab;

/// <summary>The work that every execution model of the lab runs.</summary>
public enum LabWorkload
{
    /// <summary>Fetch JSON records from a local HTTP API (Kestrel on 127.0.0.1) and store them in SQLite.</summary>
    Io,

    /// <summary>Embarrassingly parallel math: a slice of the pi series and great-circle distances between cities.</summary>
    Cpu,

    /// <summary>Each task fetches and stores one record (io), then does a slice of the cpu work.</summary>
    Mixed,

    /// <summary>Queries against an SQLite database, with a fresh or a pooled connection per query.</summary>
    Db,
}
