using System.Numerics;
using System.Runtime.CompilerServices;

namespace Braid.Structured;

/// <summary>
/// Up to eight pending unnamed children of a <see cref="TaskGroup"/>, started off any loop, sharing
/// one completion callback and one unit of the group's count of pending work: the batch (104 bytes)
/// and its one delegate (64) cost 21 bytes a child, where a node and a delegate of its own cost 96.
/// </summary>
/// <remarks>
/// <para>The public way to be told that a task finished takes a delegate (64 bytes), and a delegate
/// alone cannot say which of the tasks it is registered on has finished. So the callback, which runs
/// once for each child that finishes, scans the slots and claims the first finished child not yet
/// claimed, by setting its bit in the batch's one state word (compare-and-swap). Each child is
/// accounted exactly once: by its own callback or by a sibling's that ran after it finished (whose own
/// child is then claimed by the next callback). Its outcome (completed, failed, cancelled) is counted
/// on the group at once, so statistics stay exact and a failure cancels the group at once.</para>
/// <para>The group's count of pending work (which finishes the group when it reaches zero) is updated
/// once per batch, not once per child: the batch holds one unit while any child it holds is
/// unclaimed. The claim that catches up with every child added so far releases it, and an add to a
/// caught-up batch takes one again (see <see cref="BatchAdd.Opened"/>). Added count and claimed
/// children share the state word, so "caught up" is decided once, by whichever of the two came
/// last (design rule 19).</para>
/// <para>Off a loop the callback runs inline where the child finishes, so a child is accounted when
/// it ends; two children of one batch that finish at the same moment on two threads are accounted in
/// slot order. On an <see cref="Braid.Loop.AsyncLoop"/> callbacks are posted as steps, and a later
/// sibling could be claimed before an earlier one; there the group keeps one node per child
/// (design rule 19), so that failures are recorded in exactly the order they happened.</para>
/// </remarks>
internal sealed class ChildBatch
{
    private const int Capacity = 8;

    // _state: bits 0-7, the claimed slots; from bit 8 up, the number of slots taken (0 to 8).
    private const int AddedShift = 8;
    private const int ClaimedMask = (1 << Capacity) - 1;

    private readonly TaskGroup _group;
    private readonly Action _onAnyCompleted;
    private Slots _slots;
    private int _state;

    public ChildBatch(TaskGroup group)
    {
        _group = group;
        _onAnyCompleted = OnAnyCompleted;
    }

    /// <summary>
    /// Takes a slot for <paramref name="child"/> and asks to be told when it ends. Whoever gets
    /// <see cref="BatchAdd.Opened"/> must give the group's count of pending work one unit for the batch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public BatchAdd TryAdd(Task child)
    {
        var state = Volatile.Read(ref _state);
        while (true)
        {
            if (state >> AddedShift == Capacity)
            {
                return BatchAdd.Full;
            }

            var seen = Interlocked.CompareExchange(ref _state, state + (1 << AddedShift), state);
            if (seen == state)
            {
                break;
            }

            state = seen;
        }

        // Published before the callback is registered: a callback that runs finds the child. Until
        // then the slot reads as empty, and the batch cannot catch up (it counts this child as added).
        var index = state >> AddedShift;
        Volatile.Write(ref _slots[index], child);
        child.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onAnyCompleted);
        return BitOperations.PopCount((uint)(state & ClaimedMask)) == index ? BatchAdd.Opened : BatchAdd.Joined;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnAnyCompleted()
    {
        // Claims one finished child, the first in slot order. A callback runs once per child, after
        // that child finished, and each claims exactly one: so whenever a callback has not claimed yet,
        // at least one finished child is unclaimed (its own, or the one whose callback took its own),
        // and a pass that finds none, or whose claim fails, lost to a sibling's callback or an add that
        // changed the state meanwhile; the next pass finds another. Claiming one, not every finished
        // child, keeps the scan short: children usually end in the order they started, so the slots
        // before this one are already claimed and the callback never reads the state of siblings
        // still running on other threads.
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var added = state >> AddedShift;
            for (var i = 0; i < added; i++)
            {
                if ((state & (1 << i)) != 0)
                {
                    continue;
                }

                var child = Volatile.Read(ref _slots[i]);
                if (child is not { IsCompleted: true })
                {
                    continue;
                }

                var claimed = state | (1 << i);
                if (Interlocked.CompareExchange(ref _state, claimed, state) == state)
                {
                    _group.OnBatchedChildCompleted(child, caughtUp: BitOperations.PopCount((uint)(claimed & ClaimedMask)) == added);
                    return;
                }

                break; // The state moved: read it again.
            }
        }
    }

    [InlineArray(Capacity)]
    private struct Slots
    {
        private Task? _first;
    }
}
