namespace Braid.Lab.Workloads;

/// <summary>What one task produced: a value that every model must reproduce, or the reason it failed.</summary>
internal readonly record struct TaskOutcome(bool Ok, string Value)
{
    public static TaskOutcome Success(string value) => new(true, value);

    public static TaskOutcome Failure(string reason) => new(false, reason);
}
