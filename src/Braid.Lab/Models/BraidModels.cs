using Braid.Loop;
using Braid.Structured;

namespace Braid.Lab.Models;

/// <summary>
/// The seam between the lab and Braid's own async machinery: the bounded async model runs on
/// Braid's bounded map, the loop model on Braid's single-threaded event loop. Everything else in the
/// lab is independent of Braid's core.
/// </summary>
internal static class BraidModels
{
    /// <summary>Runs <paramref name="body"/> for 0..count-1 with at most <paramref name="limit"/> running at once (Braid.Structured.Concurrent.MapAsync).</summary>
    public static Task MapBoundedAsync(int count, int limit, Func<int, CancellationToken, ValueTask<int>> body, CancellationToken cancellationToken) =>
        Concurrent.MapAsync(Enumerable.Range(0, count), limit, body, cancellationToken);

    /// <summary>Runs <paramref name="main"/> on a new single-threaded loop (Braid.Loop.AsyncLoop), blocking the calling thread until it ends.</summary>
    public static T RunOnLoop<T>(Func<Task<T>> main) => AsyncLoop.Run(main);
}
