namespace Braid.Channels;

/// <summary>A snapshot of a memory channel's state (Trio's <c>MemoryChannelStatistics</c>), shared by all its clones.</summary>
/// <param name="CurrentBufferUsed">Items in the buffer now.</param>
/// <param name="MaxBufferSize">The buffer's capacity (0 for a rendezvous, <see cref="MemoryChannel.Unbounded"/> for no limit).</param>
/// <param name="PeakBufferUsed">The most items the buffer has held at once.</param>
/// <param name="OpenSendChannels">Send clones not yet closed.</param>
/// <param name="OpenReceiveChannels">Receive clones not yet closed.</param>
/// <param name="TasksWaitingSend">Tasks waiting in a send.</param>
/// <param name="TasksWaitingReceive">Tasks waiting in a receive.</param>
public readonly record struct MemoryChannelStatistics(
    int CurrentBufferUsed,
    int MaxBufferSize,
    int PeakBufferUsed,
    int OpenSendChannels,
    int OpenReceiveChannels,
    int TasksWaitingSend,
    int TasksWaitingReceive);
