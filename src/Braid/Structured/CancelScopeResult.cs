namespace Braid.Structured;

/// <summary>
/// What a result-returning <see cref="CancelScope"/> gives back: the body's result if it completed,
/// and the scope, which tells whether a cancellation was caught instead.
/// </summary>
/// <typeparam name="T">The body's result type.</typeparam>
public readonly struct CancelScopeResult<T> : IEquatable<CancelScopeResult<T>>
{
    private readonly T _value;

    internal CancelScopeResult(CancelScope scope)
    {
        Scope = scope;
        _value = default!;
        Completed = false;
    }

    internal CancelScopeResult(CancelScope scope, T value)
    {
        Scope = scope;
        _value = value;
        Completed = true;
    }

    /// <summary>The scope the body ran in (its id, deadline, <see cref="CancelScope.CancelledCaught"/>).</summary>
    public CancelScope Scope { get; }

    /// <summary>Whether the body completed and produced <see cref="Value"/>.</summary>
    public bool Completed { get; }

    /// <summary>Whether the scope absorbed a cancellation, so there is no result (same as <c>Scope.CancelledCaught</c>).</summary>
    public bool CancelledCaught => Scope.CancelledCaught;

    /// <summary>The body's result.</summary>
    /// <exception cref="InvalidOperationException">The scope caught a cancellation: there is no result.</exception>
    public T Value => Completed
        ? _value
        : throw new InvalidOperationException($"{Scope} caught a cancellation ({Scope.CancelReason}); its body produced no result.");

    /// <summary>The body's result, or <paramref name="fallback"/> if the scope caught a cancellation.</summary>
    /// <param name="fallback">The value to use when there is no result.</param>
    /// <returns>The result or the fallback.</returns>
    public T GetValueOrDefault(T fallback) => Completed ? _value : fallback;

    /// <summary>Compares two results by scope, completion and value.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(CancelScopeResult<T> left, CancelScopeResult<T> right) => left.Equals(right);

    /// <summary>Compares two results by scope, completion and value.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(CancelScopeResult<T> left, CancelScopeResult<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(CancelScopeResult<T> other) =>
        ReferenceEquals(Scope, other.Scope) && Completed == other.Completed && EqualityComparer<T>.Default.Equals(_value, other._value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CancelScopeResult<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Scope, Completed, _value);

    /// <summary>Describes the outcome.</summary>
    /// <returns>The value, or that the scope caught a cancellation.</returns>
    public override string ToString() => Completed ? $"{_value}" : $"cancelled ({Scope.CancelReason})";
}
