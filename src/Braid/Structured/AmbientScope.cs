using System.Runtime.CompilerServices;
using Braid.Loop;

namespace Braid.Structured;

/// <summary>
/// One link of the ambient cancellation chain: a <see cref="CancelScope"/> or a <see cref="TaskGroup"/>
/// whose body is running, or a child of a group while it runs (design rule 13). Scopes and groups
/// created inside it link to it, so that work nested inside is cancelled with it even when nobody
/// passed its token down, and inherit its clock.
/// </summary>
internal interface IAmbientScope
{
    /// <summary>The token that is cancelled when this link (or, unless shielded, anything outside it) is cancelled.</summary>
    CancellationToken Token { get; }

    /// <summary>The clock this link's deadlines are measured on; nested scopes and groups inherit it.</summary>
    TimeProvider Clock { get; }

    /// <summary>
    /// The sooner of this link's own deadline and the deadline it inherits, as an instant on
    /// <see cref="Clock"/>, or <see langword="null"/>.
    /// </summary>
    DateTimeOffset? EffectiveDeadline { get; }

    /// <summary>
    /// Whether this link counts as cancelled for code nested inside it: its token is cancelled, or
    /// its effective deadline has passed even if the timer has not fired yet (two deadlines that
    /// expire at the same instant are both expired, whichever timer runs first).
    /// </summary>
    bool IsCancelledForNested();
}

/// <summary>The ambient cancellation chain, flowing with the <see cref="ExecutionContext"/>.</summary>
internal static class AmbientScope
{
    // Typed object, not IAmbientScope: reading an AsyncLocal<IAmbientScope> casts the stored object to
    // the interface on every read, a third of what Enter cost per child started (bench/README.md, seventh
    // session). Only IAmbientScope values are ever stored, so the reads below need no checked cast.
    private static readonly AsyncLocal<object?> s_current = new();

    /// <summary>The innermost scope, group or group child running on this flow, or <see langword="null"/>.</summary>
    public static IAmbientScope? Current
    {
        get => Unsafe.As<IAmbientScope?>(s_current.Value);
        set => s_current.Value = value;
    }

    /// <summary>
    /// Makes <paramref name="scope"/> the ambient link until the returned switch is disposed, to run a body or
    /// a child in it (design rule 13). Setting an <see cref="AsyncLocal{T}"/> allocates, so when
    /// <paramref name="scope"/> already is the ambient link (a child started from its group's body or from a
    /// sibling) nothing is switched and nothing is allocated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ChainSwitch Enter(IAmbientScope scope)
    {
        var previous = s_current.Value;
        if (ReferenceEquals(previous, scope))
        {
            return default;
        }

        s_current.Value = scope;
        return new ChainSwitch(Unsafe.As<IAmbientScope?>(previous));
    }

    /// <summary>Restores the ambient link <see cref="Enter"/> replaced, if it replaced one.</summary>
    internal readonly ref struct ChainSwitch(IAmbientScope? previous)
    {
        private readonly bool _switched = true;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Dispose()
        {
            if (_switched)
            {
                Current = previous;
            }
        }
    }

    /// <summary>
    /// The clock a new scope or group inherits (design rule 17): the enclosing link's, else the current
    /// loop's, else the system clock.
    /// </summary>
    public static TimeProvider InheritedClock(IAmbientScope? enclosing) =>
        enclosing?.Clock ?? AsyncLoop.Current?.TimeProvider ?? TimeProvider.System;

    /// <summary>
    /// Expresses <paramref name="deadline"/>, an instant on <paramref name="from"/>, as the instant on
    /// <paramref name="to"/> that leaves the same time remaining. Two clocks' absolute instants cannot
    /// be compared (a virtual clock may read the year 2000); the time they have left can.
    /// </summary>
    public static DateTimeOffset? OnClock(DateTimeOffset? deadline, TimeProvider from, TimeProvider to)
    {
        if (deadline is not { } instant || ReferenceEquals(from, to))
        {
            return deadline;
        }

        var remaining = instant - from.GetUtcNow();
        var now = to.GetUtcNow();
        if (remaining >= DateTimeOffset.MaxValue - now)
        {
            return DateTimeOffset.MaxValue;
        }

        return remaining <= DateTimeOffset.MinValue - now ? DateTimeOffset.MinValue : now + remaining;
    }
}
