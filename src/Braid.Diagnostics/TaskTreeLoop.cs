namespace Braid.Diagnostics;

/// <summary>A live event loop in a <see cref="TaskTree"/>, with the task groups opened on it.</summary>
/// <param name="Id">The loop's <c>Id</c>.</param>
/// <param name="PendingSteps">Steps (posted continuations and callbacks) waiting in its queue.</param>
/// <param name="ActiveTimers">Timers armed on its clock when it is a <c>VirtualClock</c>, else <see langword="null"/>.</param>
/// <param name="StepsRun">Steps it has run.</param>
/// <param name="IsDebugMode">Whether its debug mode is on.</param>
/// <param name="Groups">The outermost recorded groups opened on it.</param>
public sealed record TaskTreeLoop(long Id, int PendingSteps, int? ActiveTimers, long StepsRun, bool IsDebugMode, IReadOnlyList<TaskTreeGroup> Groups);
