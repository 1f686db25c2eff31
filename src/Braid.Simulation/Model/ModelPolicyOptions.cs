using Microsoft.Extensions.AI;

namespace Braid.Simulation.Model;

/// <summary>How the <see cref="Policy.Model"/> policy asks its language model.</summary>
public sealed class ModelPolicyOptions
{
    /// <summary>The chat client (see <see cref="ModelClients.OpenAICompatible"/>); its own retries should be off, as that factory makes them. Required for the model policy.</summary>
    public IChatClient? Client { get; init; }

    /// <summary>Real time one call may take before its decision falls back to tit-for-tat (reason <c>timeout</c>). Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most calls in flight at once, across the whole run. Default 4.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>The clock of <see cref="Timeout"/>: real time (the model's call is real I/O, off the simulation's loop). Tests may pass another.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
