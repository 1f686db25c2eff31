namespace Braid.Simulation.Kernel;

/// <summary>One event of a simulation: what happens (<see cref="Kind"/>), when (<see cref="Time"/>, virtual time since the start), and its data.</summary>
/// <param name="Time">When the event happens, in virtual time since the simulation started.</param>
/// <param name="Kind">What happens; the processes subscribed to this kind receive the event.</param>
/// <param name="Payload">The event's data, if any.</param>
/// <param name="Sequence">The event's place in scheduling order: among events at the same time, the lower runs first.</param>
public readonly record struct SimulationEvent(TimeSpan Time, string Kind, object? Payload, long Sequence);
