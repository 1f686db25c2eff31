namespace Braid.Loop;

/// <summary>A snapshot of an <see cref="AsyncLoop"/>'s counters, from <see cref="AsyncLoop.GetStatistics"/>.</summary>
/// <param name="StepsRun">How many steps (posted continuations and callbacks) the loop has run.</param>
/// <param name="LongestStep">The longest time a single step held the loop (real time, not the loop's clock).</param>
/// <param name="PeakQueueLength">The most steps that were ever waiting in the loop's queue at once.</param>
/// <param name="QueueLength">How many steps are waiting in the queue now.</param>
/// <param name="OffLoopOperations">How many operations the loop knows are running off the loop (for example <see cref="ToThread"/> calls).</param>
public readonly record struct AsyncLoopStatistics(
    long StepsRun,
    TimeSpan LongestStep,
    int PeakQueueLength,
    int QueueLength,
    int OffLoopOperations);
