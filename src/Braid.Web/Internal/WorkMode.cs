namespace Braid.Web.Internal;

/// <summary>The four ways the work endpoints wait (docs/web.md, "The work endpoints").</summary>
internal enum WorkMode
{
    /// <summary><c>/blocking</c>: the pool thread sleeps.</summary>
    Blocking,

    /// <summary><c>/async</c>: the request awaits; no thread waits.</summary>
    Async,

    /// <summary><c>/sync-over-async</c>: the pool thread blocks on the awaited task.</summary>
    SyncOverAsync,

    /// <summary><c>/cpu</c>: the pool thread computes for the whole time.</summary>
    CpuBound,
}
