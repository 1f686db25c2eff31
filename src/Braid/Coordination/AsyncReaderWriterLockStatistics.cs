namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncReaderWriterLock"/>.</summary>
/// <param name="IsFair">Whether the lock serves in arrival order (otherwise it prefers writers).</param>
/// <param name="ReaderCount">How many readers held the lock.</param>
/// <param name="IsWriterHeld">Whether a writer held the lock.</param>
/// <param name="WaitingReaders">How many readers were queued.</param>
/// <param name="WaitingWriters">How many writers were queued.</param>
/// <param name="Contentions">How many acquisitions had to queue, since creation.</param>
/// <param name="Cancellations">How many queued waiters were cancelled (and took nothing), since creation.</param>
public readonly record struct AsyncReaderWriterLockStatistics(
    bool IsFair, int ReaderCount, bool IsWriterHeld, int WaitingReaders, int WaitingWriters, long Contentions, long Cancellations);
