using Braid.Loop;

namespace Braid.Pipelines.Engine;

/// <summary>Whether the code runs on an <see cref="AsyncLoop"/>: the pipelines' form of the core's internal <c>LoopSynchronizationContext.IsCurrent</c>.</summary>
/// <remarks>
/// The run's own bookkeeping awaits with <c>ConfigureAwait(LoopContext.IsCurrent)</c> (design rule 104):
/// off a loop it leaves the caller's context as library code should; on a loop it stays there, where the
/// loop sees it, instead of hopping to the pool while the loop looks idle (an autojumping clock would move).
/// </remarks>
internal static class LoopContext
{
    public static bool IsCurrent => AsyncLoop.Current is not null && SynchronizationContext.Current is not null;
}
