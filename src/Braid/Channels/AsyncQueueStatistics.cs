namespace Braid.Channels;

/// <summary>A snapshot of a queue's state, taken atomically by <c>GetStatistics()</c>.</summary>
/// <param name="Count">Items in the queue now.</param>
/// <param name="Capacity">The most items the queue holds (<see cref="int.MaxValue"/> when unbounded).</param>
/// <param name="PeakCount">The most items the queue has held at once.</param>
/// <param name="TotalPut">Items ever added (by a put or handed straight to a waiting getter).</param>
/// <param name="TotalTaken">Items ever taken by a get.</param>
/// <param name="UnfinishedTasks">Items put and not yet marked done with <c>TaskDone()</c>; <c>JoinAsync</c> waits for zero.</param>
/// <param name="GettersWaiting">Tasks waiting in a get.</param>
/// <param name="PuttersWaiting">Tasks waiting in a put for room.</param>
/// <param name="IsShutDown">Whether <c>Shutdown</c> was called.</param>
public readonly record struct AsyncQueueStatistics(
    int Count,
    int Capacity,
    int PeakCount,
    long TotalPut,
    long TotalTaken,
    long UnfinishedTasks,
    int GettersWaiting,
    int PuttersWaiting,
    bool IsShutDown);
