namespace Braid.Lab;

/// <summary>What one task produced: a value that every model must reproduce, or the reason it failed.</summary>
/// <param name="Ok">Whether the task succeeded.</param>
/// <param name="Value">The task's result (compared across models), or the reason it failed.</param>
public readonly record struct TaskOutcome(bool Ok, string Value)
{
    /// <summary>A task that succeeded with <paramref name="value"/>.</summary>
    /// <param name="value">The result every model must reproduce for this task.</param>
    /// <returns>The outcome.</returns>
    public static TaskOutcome Success(string value) => new(true, value);

    /// <summary>A task that failed, for <paramref name="reason"/>.</summary>
    /// <param name="reason">One line saying why, such as <c>HTTP 500</c>.</param>
    /// <returns>The outcome.</returns>
    public static TaskOutcome Failure(string reason) => new(false, reason);
}
