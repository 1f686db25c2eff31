namespace Braid.Structured;

/// <summary>
/// The outcome of one operation run by <see cref="Concurrent.GatherOutcomesAsync{T}"/>: its result,
/// or the exception it ended with (a failure returned as a value instead of thrown).
/// </summary>
/// <typeparam name="T">The operation's result type.</typeparam>
public readonly struct Outcome<T> : IEquatable<Outcome<T>>
{
    private readonly T _value;

    internal Outcome(T value)
    {
        _value = value;
        Exception = null;
    }

    internal Outcome(Exception exception)
    {
        _value = default!;
        Exception = exception;
    }

    /// <summary>Whether the operation produced a result.</summary>
    public bool IsSuccess => Exception is null;

    /// <summary>The exception the operation ended with, or <see langword="null"/> if it succeeded.</summary>
    public Exception? Exception { get; }

    /// <summary>The operation's result.</summary>
    /// <exception cref="InvalidOperationException">The operation failed; the failure is the inner exception.</exception>
    public T Value => Exception is null
        ? _value
        : throw new InvalidOperationException($"The operation failed: {Exception.GetType().Name}: {Exception.Message}", Exception);

    /// <summary>Compares two outcomes by result and exception.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(Outcome<T> left, Outcome<T> right) => left.Equals(right);

    /// <summary>Compares two outcomes by result and exception.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(Outcome<T> left, Outcome<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public bool Equals(Outcome<T> other) =>
        ReferenceEquals(Exception, other.Exception) && EqualityComparer<T>.Default.Equals(_value, other._value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Outcome<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_value, Exception);

    /// <summary>Describes the outcome.</summary>
    /// <returns>The value, or the exception's type and message.</returns>
    public override string ToString() => Exception is null ? $"{_value}" : $"failed: {Exception.GetType().Name}: {Exception.Message}";
}
