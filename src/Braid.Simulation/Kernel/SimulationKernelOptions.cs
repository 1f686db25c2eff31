namespace Braid.Simulation.Kernel;

/// <summary>Settings of a <see cref="SimulationKernel"/>.</summary>
public sealed class SimulationKernelOptions
{
    /// <summary>The seed of <see cref="SimulationKernel.Random"/> and of every stream derived with <see cref="SimulationKernel.StreamFor"/>. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>How long, in virtual time, the handlers of one event may take together before the run fails with <see cref="SimulationTimeoutException"/>. Default one hour.</summary>
    public TimeSpan HandlerTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The last time an event may run at: later events stay unprocessed, and the end event is broadcast at this time. Null (the default): run until no event is left.</summary>
    public TimeSpan? Until { get; init; }
}
