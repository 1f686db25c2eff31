namespace Braid.Tracing;

/// <summary>How <see cref="AsyncProcess"/> reads a process (docs/design.md rule 175).</summary>
internal enum ReadMode
{
    /// <summary>A copy when it fits in half the available memory, else in place; a dump when attaching is refused.</summary>
    Auto,

    /// <summary>Copy the paused process's memory, resume it, read the copy.</summary>
    Copy,

    /// <summary>Read the heap while the process stays paused.</summary>
    InPlace,

    /// <summary>Ask its runtime for a dump through the diagnostic port and read the dump.</summary>
    Dump,
}
