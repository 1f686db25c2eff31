namespace Braid.Tracing;

/// <summary>
/// The names <c>braid ps</c> reads from Braid's types in a target process, diagnostic contract version 1
/// (the core's <c>DiagnosticContract</c>; docs/design.md rule 171). <c>ContractTests</c> checks each against
/// the core this braid was built with.
/// </summary>
internal static class ContractV1
{
    public const int Version = 1;
    public const string MetadataKey = "Braid.DiagnosticContract";

    public const string TaskGroup = "Braid.Structured.TaskGroup";
    public const string GroupId = "<Id>k__BackingField";
    public const string GroupName = "<Name>k__BackingField";
    public const string GroupCompletion = "_completion";

    public const string ChildNode = "Braid.Structured.TaskGroup+ChildNode";
    public const string NamedChildNode = "Braid.Structured.TaskGroup+NamedChildNode";
    public const string ChildGroup = "<group>P";
    public const string ChildTask = "<task>P";
    public const string ChildName = "<name>P";

    public const string ChildBatch = "Braid.Structured.ChildBatch";
    public const string BatchGroup = "_group";
    public const string BatchSlots = "_slots";
    public const int BatchCapacity = 8;

    public const string Waiter = "Braid.Internal.Waiters.Waiter<";
    public const string WaiterOwner = "_owner";
    public const string PrimitiveId = "<Id>k__BackingField";

    // Read to find lock holders out of process (listed in the core's DiagnosticContract remarks):
    // a held AsyncLock's releaser, kept in the holding method's state machine.
    public const string AsyncLock = "Braid.Coordination.AsyncLock";
    public const string LockState = "_state";
    public const string LockReleaser = "Braid.Coordination.AsyncLock+Releaser";
    public const string ReleaserOwner = "_owner";

    // The same for AsyncSemaphore permits and AsyncReaderWriterLock read and write locks (ids are unique across
    // primitives); a semaphore blocks a waiter when _state <= 0, a reader-writer lock when _state has a holder bit.
    public const string AsyncSemaphore = "Braid.Coordination.AsyncSemaphore";
    public const string SemaphoreReleaser = "Braid.Coordination.AsyncSemaphore+Releaser";
    public const string AsyncReaderWriterLock = "Braid.Coordination.AsyncReaderWriterLock";
    public const string ReaderWriterReleaser = "Braid.Coordination.AsyncReaderWriterLock+Releaser";
    public const int ReaderWriterSlowBit = 1 << 29;
}
