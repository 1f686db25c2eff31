namespace Braid.Coordination;

/// <summary>A snapshot of an <see cref="AsyncBarrier"/>.</summary>
/// <param name="ParticipantCount">How many arrivals complete a phase.</param>
/// <param name="ArrivedCount">How many participants had arrived in the current phase and were waiting.</param>
/// <param name="CurrentPhase">The number of the current phase, starting at 0.</param>
/// <param name="Cancellations">How many waits were cancelled (and withdrew their arrival), since creation.</param>
public readonly record struct AsyncBarrierStatistics(int ParticipantCount, int ArrivedCount, long CurrentPhase, long Cancellations);
