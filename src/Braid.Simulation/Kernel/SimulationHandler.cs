namespace Braid.Simulation.Kernel;

/// <summary>
/// A process's reaction to an event. The kernel calls every handler subscribed to the event's kind, in
/// subscription order, then awaits them together; a handler that finishes synchronously costs no task.
/// </summary>
/// <param name="simulationEvent">The event.</param>
/// <param name="cancellationToken">Cancelled when the run is cancelled or a handler set overran the kernel's handler timeout.</param>
/// <returns>A value task that completes when the handler has finished with the event.</returns>
public delegate ValueTask SimulationHandler(SimulationEvent simulationEvent, CancellationToken cancellationToken);
