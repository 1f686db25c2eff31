namespace Braid.Instrumentation;

/// <summary>The primitive a child is queued on, and who holds it.</summary>
/// <param name="Kind">The primitive's kind: <c>AsyncLock</c>, <c>AsyncSemaphore</c>, <c>AsyncReaderWriterLock.Writer</c>, ...</param>
/// <param name="PrimitiveId">The primitive's <c>Id</c>.</param>
/// <param name="HolderChildId">The recorded child holding it, or 0 when there is none or it is unknown (only <c>AsyncLock</c>s and write locks record holders).</param>
public sealed record LiveWaitInfo(string Kind, long PrimitiveId, long HolderChildId);
