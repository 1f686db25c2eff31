using System.Reflection;

[assembly: AssemblyMetadata(Braid.Instrumentation.DiagnosticContract.Key, Braid.Instrumentation.DiagnosticContract.VersionText)]

namespace Braid.Instrumentation;

/// <summary>
/// The versioned contract between the core and readers outside the process (<c>braid ps</c>,
/// docs/tracing.md, docs/design.md rule 171): the type and field names they read from a live heap to
/// name Braid's task groups, children and primitives. The version is stamped on the assembly as
/// <c>[AssemblyMetadata("Braid.DiagnosticContract", "1")]</c>, which a reader finds in the target's
/// metadata with no code run in the target.
/// </summary>
/// <remarks>
/// Version 1 reads:
/// <list type="bullet">
/// <item><c>Braid.Structured.TaskGroup</c>: <c>&lt;Id&gt;k__BackingField</c> (long), <c>&lt;Name&gt;k__BackingField</c>
/// (string), <c>_completion</c> (the <c>TaskCompletionSource</c> whose task the group's awaiter waits on).</item>
/// <item><c>Braid.Structured.TaskGroup+ChildNode</c> and <c>+NamedChildNode</c>: <c>&lt;group&gt;P</c>, <c>&lt;task&gt;P</c>,
/// <c>&lt;name&gt;P</c> (the named child's continuation target, one per pending named child).</item>
/// <item><c>Braid.Structured.ChildBatch</c>: <c>_group</c>, <c>_slots</c> (an inline array of 8 tasks; unnamed children).</item>
/// <item><c>Braid.Internal.Waiters.Waiter`1</c>: <c>_owner</c> (the primitive, queue or channel a waiter is queued on),
/// whose <c>&lt;Id&gt;k__BackingField</c> is its <c>Id</c>.</item>
/// <item><c>Braid.Coordination.AsyncLock</c>: <c>_state</c> (free or held); <c>AsyncLock+Releaser</c>: <c>_owner</c> (the
/// lock a releaser kept in a holding method's state machine releases: how <c>braid ps</c> finds a lock's holder).</item>
/// <item><c>Braid.Coordination.AsyncSemaphore</c>: <c>_state</c> (free permits, 0 or -1 when none is free);
/// <c>AsyncSemaphore+Releaser</c>: <c>_owner</c>. <c>Braid.Coordination.AsyncReaderWriterLock</c>: <c>_state</c>
/// (readers, the writer bit, the slow bit <c>SlowBit</c> = 1 &lt;&lt; 29); <c>AsyncReaderWriterLock+Releaser</c>:
/// <c>_owner</c>. The same holder search as the lock's, for permits and read or write locks.</item>
/// </list>
/// Renaming any of these is a change of contract: bump <see cref="Version"/> and teach the reader the new names
/// (<c>ContractTests</c> in <c>Braid.Tracing.Tests</c> fails until both agree).
/// </remarks>
internal static class DiagnosticContract
{
    /// <summary>The assembly metadata key.</summary>
    public const string Key = "Braid.DiagnosticContract";

    /// <summary>The contract's version.</summary>
    public const int Version = 1;

    /// <summary>The version as the metadata value.</summary>
    public const string VersionText = "1";
}
