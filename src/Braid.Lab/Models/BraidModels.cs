using Braid.Loop;

namespace Braid.Lab.Models;

/// <summary>
/// The seam between the lab and Braid's own async machinery: the bounded async model runs on
/// Braid's bounded map, the loop model on Braid's single-threaded event loop. Everything else in the
/// lab is independent of Braid's core.
/// </summary>
internal static class BraidModels
{
    /// <summary>Why the bounded model cannot run, or null when it can.</summary>
    public static string? BoundedUnavailable => "Braid.Structured.Concurrent.MapAsync has not landed yet (branch structured)";

    /// <summary>Why the loop model cannot run, or null when it can.</summary>
    public static string? LoopUnavailable => null;

    /// <summary>Runs <paramref name="body"/> for 0..count-1 with at most <paramref name="limit"/> running at once.</summary>
    public static Task MapBoundedAsync(int count, int limit, Func<int, CancellationToken, ValueTask<int>> body, CancellationToken cancellationToken) =>
        throw new NotSupportedException(BoundedUnavailable);

    /// <summary>Runs <paramref name="main"/> on a new single-threaded loop, blocking the calling thread until it ends.</summary>
    public static T RunOnLoop<T>(Func<Task<T>> main) => AsyncLoop.Run(main);
}
