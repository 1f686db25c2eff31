namespace Braid.Structured;

/// <summary>
/// One link of the ambient cancellation chain: a <see cref="CancelScope"/> or a <see cref="TaskGroup"/>
/// whose body is running. Scopes and groups created inside it link to it, so that work nested inside
/// is cancelled with it even when nobody passed its token down.
/// </summary>
internal interface IAmbientScope
{
    /// <summary>The token that is cancelled when this link (or, unless shielded, anything outside it) is cancelled.</summary>
    CancellationToken Token { get; }

    /// <summary>
    /// The sooner of this link's own deadline and the deadline it inherits, or <see langword="null"/>.
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
    private static readonly AsyncLocal<IAmbientScope?> s_current = new();

    /// <summary>The innermost scope or group whose body is running on this flow, or <see langword="null"/>.</summary>
    public static IAmbientScope? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }
}
