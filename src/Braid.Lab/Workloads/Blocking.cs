namespace Braid.Lab.Workloads;

/// <summary>
/// Blocking waits for the blocking models (sequential, threads, pool, workers). They block a thread on
/// purpose: that is the organisation they measure. Nothing else in the lab blocks on a task.
/// </summary>
internal static class Blocking
{
#pragma warning disable VSTHRD002 // Blocking is this model's point; it never runs on a single-threaded context.
    public static void Wait(ValueTask pending) => pending.AsTask().GetAwaiter().GetResult();

    public static T Wait<T>(Task<T> pending) => pending.GetAwaiter().GetResult();

    public static void Wait(Task pending) => pending.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
}
