using System.Runtime.CompilerServices;

namespace Braid.Structured;

/// <summary>
/// Up to eight pending unnamed children of a <see cref="TaskGroup"/>, started off any loop, sharing
/// one completion callback: the batch (104 bytes) and its one delegate (64) cost 21 bytes a child, where a node and a
/// delegate of its own cost 96.
/// </summary>
/// <remarks>
/// <para>The public way to be told that a task finished takes a delegate (64 bytes), and a delegate
/// alone cannot say which of the tasks it is registered on has finished. So the callback, which runs
/// once for each child that finishes, scans the slots and claims (by compare-and-swap) the first
/// finished child not yet claimed. Each child is accounted exactly once: by its own callback or by
/// a sibling's that ran after it finished (whose own child is then claimed by the next callback).</para>
/// <para>Off a loop the callback runs inline where the child finishes, so a child is accounted when
/// it ends; two children of one batch that finish at the same moment on two threads are accounted in
/// slot order. On an <see cref="Braid.Loop.AsyncLoop"/> callbacks are posted as steps, and a later
/// sibling could be claimed before an earlier one; there the group keeps one node per child
/// (design rule 19), so that failures are recorded in exactly the order they happened.</para>
/// </remarks>
internal sealed class ChildBatch
{
    private const int Capacity = 8;

    private readonly TaskGroup _group;
    private readonly Action _onAnyCompleted;
    private Slots _slots;
    private int _reserved;

    public ChildBatch(TaskGroup group)
    {
        _group = group;
        _onAnyCompleted = OnAnyCompleted;
    }

    /// <summary>Takes a slot for <paramref name="child"/> and asks to be told when it ends; false when the batch is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAdd(Task child)
    {
        var index = Interlocked.Increment(ref _reserved) - 1;
        if (index >= Capacity)
        {
            return false;
        }

        // Published before the callback is registered: a callback that runs finds the child.
        Volatile.Write(ref _slots[index], child);
        child.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onAnyCompleted);
        return true;
    }

    /// <summary>
    /// <see cref="TryAdd"/> for a batch that one thread alone fills (the body's, during its synchronous
    /// part): the slot is taken with a plain increment instead of an atomic one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAddOwned(Task child)
    {
        var index = _reserved;
        if (index >= Capacity)
        {
            return false;
        }

        _reserved = index + 1;
        Volatile.Write(ref _slots[index], child);
        child.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onAnyCompleted);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnAnyCompleted()
    {
        // Claims one finished child, the first in slot order. A callback runs once per child, after
        // that child finished, and each claims exactly one: so whenever a callback has not claimed yet,
        // at least one finished child is unclaimed (its own, or the one whose callback took its own),
        // and a pass that finds none lost it to a sibling's callback that claimed meanwhile; the next
        // pass finds another. Claiming one, not every finished child, keeps the scan short: children
        // usually end in the order they started, so the slots before this one are already empty and
        // the callback never reads the state of siblings still running on other threads.
        while (true)
        {
            for (var i = 0; i < Capacity; i++)
            {
                var child = Volatile.Read(ref _slots[i]);
                if (child is { IsCompleted: true } && ReferenceEquals(Interlocked.CompareExchange(ref _slots[i], null, child), child))
                {
                    _group.OnChildCompleted(child, name: null);
                    return;
                }
            }
        }
    }

    [InlineArray(Capacity)]
    private struct Slots
    {
        private Task? _first;
    }
}
