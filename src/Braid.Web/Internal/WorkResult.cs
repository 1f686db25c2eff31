namespace Braid.Web.Internal;

/// <summary>A work endpoint's answer: which way it waited, how long, and the thread pool as it finished.</summary>
internal sealed record WorkResult(string Mode, int Ms, int PoolThreads, long PendingWorkItems);
