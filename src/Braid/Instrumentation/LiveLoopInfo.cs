namespace Braid.Instrumentation;

/// <summary>A live event loop in a <see cref="LiveTaskSnapshot"/>.</summary>
/// <param name="Id">The loop's <c>Id</c>.</param>
/// <param name="PendingSteps">Steps (posted continuations and callbacks) waiting in its queue now.</param>
/// <param name="ActiveTimers">Timers armed on its clock when that is a <c>VirtualClock</c>; otherwise <see langword="null"/> (the system clock does not count them).</param>
/// <param name="StepsRun">Steps it has run.</param>
/// <param name="IsDebugMode">Whether its debug mode is on.</param>
public sealed record LiveLoopInfo(long Id, int PendingSteps, int? ActiveTimers, long StepsRun, bool IsDebugMode);
